"""`moto_server` on loopback for tests that drive the real CDK CLI and AWS CLI tools.

Run as `python -m tests.support.moto_server -p PORT`. Before starting it fills two gaps in
moto 5.2.5's CloudFormation that a real CloudFormation does not have, so a stack deploys
whole instead of stopping half-way:
* `Fn::GetAtt <HostedZone>.NameServers` (used by the NS-delegation custom resource) raised
  "'FakeZone' object has no attribute 'get_cfn_attribute'" and aborted the stack;
* `AWS::SecretsManager::Secret` was silently skipped, so `Ref` to it was empty and the
  policy naming it was rejected ("Policy statement must contain resources").
Custom resources stay unexecuted (their Lambda would need Docker), as moto documents.
"""

from __future__ import annotations

import sys
from typing import Any


def _patch_hosted_zone_attributes() -> None:
    from moto.route53.models import FakeZone

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "NameServers":
            return list(self.delegation_set.name_servers) if self.delegation_set else []
        if attribute_name == "Id":
            return self.id
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    if not hasattr(FakeZone, "get_cfn_attribute"):
        FakeZone.get_cfn_attribute = get_cfn_attribute  # type: ignore[attr-defined]


def _register_secrets_manager_secret() -> None:
    import json

    from moto.cloudformation.parsing import get_model_list, get_model_map
    from moto.core.common_models import CloudFormationModel
    from moto.secretsmanager.models import secretsmanager_backends

    if "AWS::SecretsManager::Secret" in get_model_map():
        return

    class CfnSecret(CloudFormationModel):
        __module__ = "moto.secretsmanager.models"  # moto's model metaclass keys on the service name

        def __init__(self, arn: str, name: str, account_id: str, region: str) -> None:
            self.arn, self.name, self.account_id, self.region = arn, name, account_id, region

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::SecretsManager::Secret"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Id"

        def get_cfn_attribute(self, attribute_name: str) -> str:
            return self.arn

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[override]
            cls,
            resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> CfnSecret:
            props = cloudformation_json.get("Properties", {})
            backend = secretsmanager_backends[account_id][region_name]
            value = props.get("SecretString")
            generate = props.get("GenerateSecretString")
            if value is None and generate is not None:
                value = backend.get_random_password(
                    password_length=int(generate.get("PasswordLength", 32)),
                    exclude_characters=generate.get("ExcludeCharacters", ""),
                    exclude_numbers=False,
                    exclude_punctuation=bool(generate.get("ExcludePunctuation", False)),
                    exclude_uppercase=False,
                    exclude_lowercase=False,
                    include_space=False,
                    require_each_included_type=True,
                )
                value = json.loads(value)["RandomPassword"]
            name = props.get("Name", resource_name)
            created = json.loads(
                backend.create_secret(
                    name=name,
                    secret_string=value,
                    secret_binary=None,
                    description=props.get("Description"),
                    tags=None,
                    kms_key_id=None,
                    client_request_token=None,
                    replica_regions=[],
                    force_overwrite=False,
                )
            )
            return cls(created["ARN"], name, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(  # type: ignore[override]
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            backend = secretsmanager_backends[account_id][region_name]
            backend.delete_secret(resource_name, None, True)

    get_model_list.cache_clear()
    get_model_map.cache_clear()


def main() -> None:
    _patch_hosted_zone_attributes()
    _register_secrets_manager_secret()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()


class MotoServer:
    """`with MotoServer(account="139852620346") as moto: moto.endpoint_url` (a subprocess).

    The endpoint uses `localhost`, not 127.0.0.1: moto resolves a CloudFormation
    TemplateURL's bucket from the host name unless it contains "localhost".
    """

    def __init__(self, account: str) -> None:
        self.account = account
        self.port = _free_port()
        self._process: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://localhost:{self.port}"

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """A boto3 client for `service` on this server, with moto's static credentials."""
        import boto3

        new_client: Any = boto3.client  # typed per service literal; `service` is a plain str here
        return new_client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def __enter__(self) -> MotoServer:
        import os
        import subprocess
        import time
        import urllib.request

        env = {**os.environ, "MOTO_ACCOUNT_ID": self.account}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/moto-api/", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("moto_server did not start")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
