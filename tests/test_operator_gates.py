"""The rollout gates' own logic, where moto cannot say no: refusals from STS and Route 53,
template comparison, the cascade rules of the registry, and the settings amm.sh reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from platform_lib.registry import cascade_prerequisites, depends_on, get_partition
from tools.operator import gates
from tools.operator.settings import SettingError, read_settings


class _Session:
    """A boto3 session whose clients are stubbed (one per service)."""

    def __init__(self) -> None:
        self.real = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
        self.stubs: dict[str, tuple[Any, Stubber]] = {}

    def stub(self, service: str) -> Stubber:
        client = self.real.client(service)  # type: ignore[call-overload]
        stubber = Stubber(client)
        self.stubs[service] = (client, stubber)
        return stubber

    def client(self, service: str, **_: Any) -> Any:
        return self.stubs[service][0]


def _infrastructure() -> Any:
    from platform_lib.registry import get_infrastructure

    return get_infrastructure("Alpha002")


@pytest.mark.parametrize("code", ["AccessDenied", "NoSuchEntity"])
def test_a_role_that_refuses_the_account_names_the_root_deploy(code: str) -> None:
    session = _Session()
    sts = session.stub("sts")
    sts.add_client_error("assume_role", service_error_code=code, service_message="not authorized")
    with sts, pytest.raises(gates.GateRefused) as refused:
        gates.delegation(session, "Alpha002-Admin", _infrastructure())  # type: ignore[arg-type]
    message = str(refused.value)
    assert f"cannot assume arn:aws:iam::000000000000:role/AddNsRecordsToAnyHostedZone ({code})" in message
    assert "deploy the Root stack (`./amm.sh PlatformRoot`)" in message and "nothing was changed" in message


def test_a_template_difference_is_bounded() -> None:
    deployed = {"Resources": {f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(200)}}
    lines = gates.template_difference(deployed, {"Resources": {}})
    assert len(lines) == gates.MAX_DIFF_LINES + 1 and lines[-1].endswith("more lines)")
    assert lines[0] == "--- deployed" and lines[1] == "+++ synthesized"


def test_a_deployed_template_body_that_is_a_string_is_parsed() -> None:
    session = _Session()
    cloudformation = session.stub("cloudformation")
    cloudformation.add_response("get_template", {"TemplateBody": '{"Resources": {}}'})
    with cloudformation:
        assert gates.deployed_root_template(session, "Admin-PlatformRoot") == {"Resources": {}}  # type: ignore[arg-type]


def test_the_cascade_rules_are_the_seeds() -> None:
    names = {
        p: [q.name for q in cascade_prerequisites(get_partition(p))] for p in ("dev", "stage", "demo", "prod")
    }
    assert names == {"dev": [], "stage": ["dev"], "demo": ["dev"], "prod": ["stage", "demo"]}
    assert depends_on(get_partition("prod"), get_partition("dev")), "through stage and demo"
    assert not depends_on(get_partition("stage"), get_partition("demo")), "stage and demo are independent"
    assert not depends_on(get_partition("dev"), get_partition("prod"))


def test_settings_defaults_and_limits(tmp_path: Path) -> None:
    settings = read_settings({"AMM_LOG_DIR": str(tmp_path / "new" / "logs")})
    assert (settings.verify_deadline, settings.op_timeout) == (300.0, 30.0)
    assert settings.postmark_url == "https://api.postmarkapp.com" and settings.postmark_notice is None
    for value in ("0", "-1", "inf", "nan", "86401", "x"):
        with pytest.raises(SettingError, match="AMM_OP_TIMEOUT_SECONDS"):
            read_settings({"AMM_OP_TIMEOUT_SECONDS": value})
    with pytest.raises(SettingError, match="AMM_LOG_DIR is blank"):
        read_settings({"AMM_LOG_DIR": "  "})
