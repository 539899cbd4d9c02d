from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platform_lib import dns_text


@given(
    value=st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters='"\\'), max_size=1200
    )
)
def test_split_then_join_round_trips_and_respects_the_limit(value: str) -> None:
    parts = dns_text.split_txt_value(value)
    assert dns_text.join_txt_strings(parts) == value
    assert all(len(p) <= 255 for p in parts)
    assert all(len(p) == 255 for p in parts[:-1])


def test_a_2048_bit_dkim_value_becomes_two_quoted_strings() -> None:
    value = dns_text.dkim_txt_value("A" * 392)
    quoted = dns_text.quoted_txt_strings(value)
    first, second = quoted.split('" "')
    assert first == '"' + value[:255] and second == value[255:] + '"'


def test_quotes_are_refused() -> None:
    with pytest.raises(ValueError):
        dns_text.split_txt_value('a"b')


def test_dmarc_and_dkim_values() -> None:
    assert dns_text.dmarc_value() == "v=DMARC1; p=none; rua=mailto:dmarc-reports@arda.cards"
    with pytest.raises(ValueError, match="valid: none, quarantine, reject"):
        dns_text.dmarc_value("strict")
    assert dns_text.dkim_public_key_of("k=rsa; p=ABC") == "ABC"
    assert dns_text.dkim_public_key_of("k=rsa") is None
