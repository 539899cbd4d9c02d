"""Print the AWS account of the current credentials (amm.sh's account pre-flight).

Usage: python -m tools.aws_identity [--profile NAME] [--region R]

boto3 (not the AWS CLI) so the pre-flight needs nothing beyond the project's venv; it
honours AWS_ENDPOINT_URL like every AWS SDK. Expired or missing credentials: one line
naming `aws sso login --profile NAME`, exit 1.
"""

from __future__ import annotations

import argparse
import sys

import boto3
import botocore.exceptions


def caller_account(profile: str | None, region: str | None) -> str:
    session = boto3.Session(profile_name=profile, region_name=region)
    account: str = session.client("sts").get_caller_identity()["Account"]
    return account


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.aws_identity", description=__doc__.splitlines()[0])
    parser.add_argument("--profile")
    parser.add_argument("--region")
    args = parser.parse_args(argv)
    login = f"aws sso login --profile {args.profile}" if args.profile else "aws sso login"
    try:
        print(caller_account(args.profile, args.region))
    except botocore.exceptions.ProfileNotFound:
        print(
            f"error: AWS profile {args.profile!r} not found in your AWS config; pass --profile NAME",
            file=sys.stderr,
        )
        return 1
    except (
        botocore.exceptions.NoCredentialsError,
        botocore.exceptions.TokenRetrievalError,
        botocore.exceptions.SSOError,
        botocore.exceptions.UnauthorizedSSOTokenError,
    ):
        print(f"error: no valid AWS credentials; run `{login}`", file=sys.stderr)
        return 1
    except (botocore.exceptions.ClientError, botocore.exceptions.EndpointConnectionError) as exc:
        print(f"error: AWS identity check failed ({exc}); run `{login}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
