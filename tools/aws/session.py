"""AWS sessions for the operator tools, and one-line errors for everything boto3 can raise.

boto3 (not the AWS CLI) so the tools need nothing beyond the project's venv; it honours
AWS_ENDPOINT_URL like every AWS SDK. Every failure - a missing profile, expired SSO, a
failing `credential_process`, an unreachable or garbled STS answer - is one line naming the
profile and the fix.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from tools.cli.contract import OperatorError
from tools.secrets.outside_text import outside_text

ACCOUNT_ID = re.compile(r"^\d{12}$")
# One bounded try: the pre-flight fails fast and names the fix instead of retrying for minutes.
CLIENT_CONFIG = Config(connect_timeout=10, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})


class AwsProblem(OperatorError):
    """An AWS call failed; the message is one line naming the profile and the fix."""


def describe_profile(profile: str | None) -> str:
    return f"AWS profile {profile!r}" if profile else "the default AWS credentials"


def login_hint(profile: str | None) -> str:
    return f"aws sso login --profile {profile}" if profile else "aws sso login"


def error_code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


def explain(exc: BaseException, profile: str | None, action: str) -> AwsProblem:
    """The one-line problem for a boto3 failure while doing `action` with `profile`."""
    shown, login = describe_profile(profile), login_hint(profile)
    if isinstance(exc, botocore.exceptions.ProfileNotFound):
        return AwsProblem(f"AWS profile {profile!r} not found in your AWS config; pass --profile NAME")
    if isinstance(
        exc,
        botocore.exceptions.NoCredentialsError
        | botocore.exceptions.TokenRetrievalError
        | botocore.exceptions.SSOError
        | botocore.exceptions.UnauthorizedSSOTokenError,
    ):
        return AwsProblem(f"no valid AWS credentials for {shown}; run `{login}`")
    if isinstance(exc, botocore.exceptions.CredentialRetrievalError):
        return AwsProblem(
            f"the credential provider of {shown} failed ({exc.kwargs.get('provider', 'unknown')}); "
            f"fix it in your AWS config or run `{login}`"
        )
    if isinstance(exc, botocore.exceptions.ClientError):
        message = outside_text(str(exc.response.get("Error", {}).get("Message", "")))
        return AwsProblem(
            f"{action} with {shown} failed ({error_code(exc)}{': ' + message if message else ''})"
        )
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return AwsProblem(
            f"cannot reach AWS for {action} with {shown}; check the network (or AWS_ENDPOINT_URL)"
        )
    return AwsProblem(
        f"{action} with {shown} failed ({type(exc).__name__}); check your AWS config and re-run"
    )


AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def session_for(profile: str | None, region: str) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except AWS_ERRORS as exc:
        raise explain(exc, profile, "opening the session") from None


def client(session: boto3.Session, service: str) -> Any:
    new_client: Any = session.client  # typed per service literal; here a plain str
    return new_client(service, config=CLIENT_CONFIG)


def caller_account(session: boto3.Session, profile: str | None) -> str:
    """The 12-digit account of the session's credentials."""
    try:
        answer = client(session, "sts").get_caller_identity()
    except AWS_ERRORS as exc:
        raise explain(exc, profile, "the identity check") from None
    account = answer.get("Account") if isinstance(answer, dict) else None
    if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
        raise AwsProblem(
            f"AWS STS answered {describe_profile(profile)} without a 12-digit account id; "
            "check AWS_ENDPOINT_URL and re-run"
        )
    return account
