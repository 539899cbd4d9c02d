"""`moto_server` on loopback for tests that drive the real CDK CLI and AWS CLI tools.

Run as `python -m tests.support.moto_server -p PORT`. Before starting it fills gaps in
moto 5.2.5's CloudFormation that a real CloudFormation does not have, so a stack deploys
whole instead of stopping half-way (and an update through a change set works, see
`_answer_missing_change_sets_like_cloudformation`):
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

    class CfnSecret(CloudFormationModel):  # type: ignore[misc]  # moto is not analysed (pyproject.toml)
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


def _fail_listed_first_deploys() -> None:
    """A first deploy (a CREATE change set) of a stack named in MOTO_FAILING_FIRST_DEPLOYS
    ends in ROLLBACK_COMPLETE with its resources left in place, as CloudFormation leaves a
    failed first deploy's retained resources: the state `amm.sh` must recognise."""
    import os

    from moto.cloudformation.models import CloudFormationBackend

    failing = {name for name in os.environ.get("MOTO_FAILING_FIRST_DEPLOYS", "").split(",") if name}
    if not failing:
        return
    execute = CloudFormationBackend.execute_change_set

    def execute_then_fail(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        execute(self, change_set_name, stack_name)
        for stack in self.stacks.values():
            if stack.name in failing and stack.status == "CREATE_COMPLETE":
                stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason="Injected failure")
                stack._add_stack_event("ROLLBACK_COMPLETE")
                stack.status = "ROLLBACK_COMPLETE"

    CloudFormationBackend.execute_change_set = execute_then_fail  # type: ignore[method-assign]


def _answer_missing_change_sets_like_cloudformation() -> None:
    """CloudFormation answers `DescribeChangeSet` of an unknown change set with
    ChangeSetNotFound, which the CDK CLI expects before it creates `cdk-deploy-change-set` to
    update a stack; moto answered a ValidationError "Stack with id ... does not exist", and
    every update of an existing stack failed."""
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.cloudformation.models import CloudFormationBackend

    class ChangeSetNotFound(CloudFormationError):  # type: ignore[misc]  # moto is not analysed
        code = "ChangeSetNotFound"

        def __init__(self, name: str) -> None:
            super().__init__(f"ChangeSet [{name}] does not exist")

    describe = CloudFormationBackend.describe_change_set

    def describe_or_not_found(self: Any, change_set_name: str) -> Any:
        if change_set_name not in self.change_sets and not any(
            cs.change_set_name == change_set_name for cs in self.change_sets.values()
        ):
            raise ChangeSetNotFound(change_set_name)
        return describe(self, change_set_name)

    CloudFormationBackend.describe_change_set = describe_or_not_found  # type: ignore[method-assign]


def _keep_resolved_ssm_parameters_on_update() -> None:
    """On a stack update moto resolves an SSM-typed parameter (the CDK's BootstrapVersion)
    a second time, taking the value it resolved on create ("30") for a parameter name, and
    the update failed with HTTP 500. CloudFormation resolves the path each time; here a
    value that names no SSM parameter is the value already resolved."""
    from moto.cloudformation.parsing import ResourceMap
    from moto.ssm.models import ssm_backends

    resolve = ResourceMap.parse_ssm_parameter

    def resolve_once(self: Any, value: str, value_type: str) -> str:
        if ssm_backends[self._account_id][self._region_name].get_parameter(value) is None:
            return value
        result: str = resolve(self, value, value_type)
        return result

    ResourceMap.parse_ssm_parameter = resolve_once  # type: ignore[method-assign]


def _exports_through_change_sets() -> None:
    """The CDK CLI deploys through change sets, where moto neither resolved `Fn::ImportValue`
    against the exports of other stacks nor published the new stack's own exports: a stack
    importing another's zone id failed with "No export named ... found". As CloudFormation
    does, a change set's stack sees every export, and its outputs' exports are published."""
    from moto.cloudformation.models import CloudFormationBackend

    create = CloudFormationBackend.create_change_set
    execute = CloudFormationBackend.execute_change_set

    def create_seeing_exports(self: Any, stack_name: str, *args: Any, **kwargs: Any) -> Any:
        result = create(self, stack_name, *args, **kwargs)
        for stack in self.stacks.values():
            if stack.name == stack_name:
                stack.cross_stack_resources = self.exports
                stack.resource_map.cross_stack_resources = self.exports
        return result

    def execute_publishing_exports(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        execute(self, change_set_name, stack_name)
        for stack in self.stacks.values():
            if stack.status.endswith("_COMPLETE") and not stack.status.startswith("DELETE"):
                stack._parse_template()
                stack.output_map = stack._create_output_map()
                for export in stack.exports:
                    self.exports[export.name] = export

    CloudFormationBackend.create_change_set = create_seeing_exports  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = execute_publishing_exports  # type: ignore[method-assign]


def main() -> None:
    _keep_resolved_ssm_parameters_on_update()
    _exports_through_change_sets()
    _patch_hosted_zone_attributes()
    _register_secrets_manager_secret()
    _fail_listed_first_deploys()
    _answer_missing_change_sets_like_cloudformation()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()


class MotoServer:
    """`with MotoServer(account="139852620346") as moto: moto.endpoint_url` (a subprocess).

    With `account=None` the server keeps many accounts, as AWS does: a request belongs to
    the account of its credentials, and credentials from `AssumeRole` belong to the role's
    account (`session_in(account)`; AWS profiles with `role_arn` work the same way).
    The endpoint uses `localhost`, not 127.0.0.1: moto resolves a CloudFormation
    TemplateURL's bucket from the host name unless it contains "localhost".
    """

    def __init__(self, account: str | None, *, failing_first_deploys: tuple[str, ...] = ()) -> None:
        self.account = account
        self.failing_first_deploys = failing_first_deploys
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

    def session_in(self, account: str, region: str = "us-east-1") -> Any:
        """A boto3 session whose requests belong to `account` (through AssumeRole)."""
        import boto3

        credentials = self.client("sts", region).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="tests"
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )

    def client_in(self, account: str, service: str, region: str = "us-east-1") -> Any:
        new_client: Any = self.session_in(account, region).client
        return new_client(service, endpoint_url=self.endpoint_url)

    def __enter__(self) -> MotoServer:
        import os
        import subprocess
        import time
        import urllib.request

        env = {k: v for k, v in os.environ.items() if k != "MOTO_ACCOUNT_ID"}
        if self.account is not None:
            env["MOTO_ACCOUNT_ID"] = self.account
        env["MOTO_FAILING_FIRST_DEPLOYS"] = ",".join(self.failing_first_deploys)
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
