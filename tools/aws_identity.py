"""Print the AWS account of the current credentials (amm.sh's account pre-flight).

Usage: python -m tools.aws_identity [--profile NAME] [--region R]

boto3 (not the AWS CLI) so the pre-flight needs nothing beyond the project's venv; it
honours AWS_ENDPOINT_URL like every AWS SDK. Every failure (a missing profile, expired
SSO, a failing `credential_process`, an unreachable or garbled STS answer) is one line
naming the profile and the fix, exit 1; the answer must be a 12-digit account id.
"""

from __future__ import annotations

import re

import boto3
import botocore.exceptions
from botocore.config import Config

from tools.lib import logger
from tools.lib.cli_args import ToolArgumentParser, name
from tools.lib.entry import run_tool

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# One bounded try: the pre-flight fails fast and names the fix instead of retrying for minutes.
_STS_CONFIG = Config(connect_timeout=10, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"})


class IdentityError(Exception):
    """The caller's identity could not be established; the message names the fix."""


def caller_account(profile: str | None, region: str | None) -> str:
    shown = f"AWS profile {profile!r}" if profile else "the default AWS credentials"
    login = f"aws sso login --profile {profile}" if profile else "aws sso login"
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        answer = session.client("sts", config=_STS_CONFIG).get_caller_identity()
    except botocore.exceptions.ProfileNotFound:
        raise IdentityError(
            f"AWS profile {profile!r} not found in your AWS config; pass --profile NAME"
        ) from None
    except (
        botocore.exceptions.NoCredentialsError,
        botocore.exceptions.TokenRetrievalError,
        botocore.exceptions.SSOError,
        botocore.exceptions.UnauthorizedSSOTokenError,
    ):
        raise IdentityError(f"no valid AWS credentials for {shown}; run `{login}`") from None
    except botocore.exceptions.CredentialRetrievalError as exc:
        raise IdentityError(
            f"the credential provider of {shown} failed ({exc.kwargs.get('provider', 'unknown')}); "
            "fix it in your AWS config "
            f"or run `{login}`"
        ) from None
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise IdentityError(f"AWS refused the identity check for {shown} ({code}); run `{login}`") from None
    except botocore.exceptions.EndpointConnectionError:
        raise IdentityError(
            f"cannot reach AWS STS for {shown}; check the network (or AWS_ENDPOINT_URL) and re-run"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise IdentityError(
            f"the identity check for {shown} failed ({type(exc).__name__}); check your AWS config and re-run"
        ) from None
    account = answer.get("Account") if isinstance(answer, dict) else None
    if not isinstance(account, str) or not _ACCOUNT_ID.fullmatch(account):
        raise IdentityError(
            f"AWS STS answered {shown} without a 12-digit account id; check AWS_ENDPOINT_URL and re-run"
        )
    return account


def main(argv: list[str] | None = None) -> int:
    parser = ToolArgumentParser(prog="python -m tools.aws_identity", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=name)
    parser.add_argument("--region", type=name)
    args = parser.parse_args(argv)
    try:
        print(caller_account(args.profile, args.region))
    except IdentityError as exc:
        logger.error(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    run_tool(main)
