"""cdk-nag runs as a validation plugin on the whole app; every acknowledgment is pinned:
synthesizing without them must surface exactly the findings they cover."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from constructs_lib import nag
from tests.synth import Synthesized, synthesize


def _findings(report: dict[str, Any], key: str) -> set[tuple[str, str]]:
    (aws,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    return {
        (violation["ruleName"], construct["constructPath"])
        for violation in aws[key]
        for construct in violation["violatingConstructs"]
    }


def test_app_passes_aws_solutions_checks(synthesized: Synthesized) -> None:
    report = synthesized.validation_report()
    (aws,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    assert aws["conclusion"] == "success"
    assert aws["violations"] == []
    assert all(len(s["reason"]) >= 20 for s in aws["suppressedViolations"])


def test_every_acknowledgment_covers_a_real_finding(
    synthesized: Synthesized, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[tuple[str, str]] = []

    class RecordingValidations:
        @staticmethod
        def of(construct: Any) -> Any:
            class Recorder:
                def acknowledge(self, ack: Any) -> None:
                    recorded.append((construct.node.path, ack.id))

            return Recorder()

    monkeypatch.setattr(nag, "Validations", RecordingValidations)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesize(tmp_path)
    raw = Synthesized(tmp_path).validation_report()
    unacknowledged = _findings(raw, "violations")

    # Each acknowledgment matches at least one finding at or under its construct ...
    for path, ack_id in recorded:
        rule = ack_id.removeprefix("AwsSolutions::")
        assert any(r == rule and p.startswith(path + "/") for r, p in unacknowledged), (path, ack_id)
    # ... and together they cover exactly what the real synth reports as acknowledged.
    assert unacknowledged == _findings(synthesized.validation_report(), "suppressedViolations")


def test_acknowledgment_needs_prefixed_id_and_reason() -> None:
    with pytest.raises(ValueError, match="must start with"):
        nag.acknowledge(None, "AwsSolutions-SMG4", "a long enough reason for the test")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="real reason"):
        nag.acknowledge(None, "AwsSolutions::AwsSolutions-SMG4", "because")  # type: ignore[arg-type]
