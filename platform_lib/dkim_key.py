"""One check of a DKIM public key, used by the pre-deploy CLI (what Postmark sent) and at
synth (what the context block holds), so a key that passes one passes the other.

The key is the `p=` value Postmark publishes: base64 of a DER SubjectPublicKeyInfo. The
whole DER is parsed by `cryptography` (a header-only check let a key cut to 64 characters
or padded to 8 KB through); it must be RSA, 1024 to 4096 bits, with no trailing bytes, and
its TXT record must fit Route 53's limits once split into quoted strings.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from platform_lib.dns_text import dkim_txt_value, quoted_txt_strings

MIN_RSA_BITS = 1024
MAX_RSA_BITS = 4096
# Route 53 accepts a TXT record value of at most 4,000 characters (quoted strings included).
ROUTE53_MAX_TXT_VALUE = 4000
# A 4096-bit SubjectPublicKeyInfo is 550 bytes (736 base64 characters); anything far longer
# is refused before it is decoded.
MAX_KEY_CHARACTERS = 1024


class InvalidDkimKey(ValueError):
    """The key is not one the stack can publish; the message says what is wrong with it."""


def dkim_key_bits(public_key: str) -> int:
    """The RSA key size of `public_key`; InvalidDkimKey (one short phrase) when unusable."""
    if not isinstance(public_key, str) or not public_key:
        raise InvalidDkimKey("the DKIM public key is empty")
    if len(public_key) > MAX_KEY_CHARACTERS:
        raise InvalidDkimKey(
            f"the DKIM public key is {len(public_key)} characters long (at most {MAX_KEY_CHARACTERS})"
        )
    try:
        der = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidDkimKey("the DKIM public key is not base64") from None
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        raise InvalidDkimKey("the DKIM public key is not a complete DER public key") from None
    if not isinstance(key, RSAPublicKey):
        raise InvalidDkimKey("the DKIM public key is not an RSA key")
    canonical = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if canonical != der:
        raise InvalidDkimKey("the DKIM public key has bytes beyond its DER encoding")
    bits = key.key_size
    if not MIN_RSA_BITS <= bits <= MAX_RSA_BITS:
        raise InvalidDkimKey(
            f"the DKIM public key is a {bits}-bit RSA key ({MIN_RSA_BITS} to {MAX_RSA_BITS} bits needed)"
        )
    record = quoted_txt_strings(dkim_txt_value(public_key))
    if len(record) > ROUTE53_MAX_TXT_VALUE:
        raise InvalidDkimKey(
            f"the DKIM TXT record would be {len(record)} characters (Route 53 allows {ROUTE53_MAX_TXT_VALUE})"
        )
    return bits
