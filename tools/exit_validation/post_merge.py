"""Post-merge checks of one deployed partition, in the order an operator reads them.

Names come from `platform_lib`, the expected DKIM/Return-Path values from the context block
the deploy used; the Postmark rows read the partition's domain on its bound account. Every
check runs even when an earlier one failed or raised.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from platform_lib.naming import encryption_key_secret_name, postmark_account_token_secret_name
from tools.exit_validation.aws_checks import exports, secret_check, stack_status
from tools.exit_validation.dns_checks import DNS_CHECKS
from tools.exit_validation.postmark_checks import (
    dkim_matches_dns,
    dkim_rotation,
    dkim_verified,
    dmarc_report_authorization,
    domain_exists,
    return_path_verified,
)
from tools.exit_validation.results import CheckResult, run_check
from tools.exit_validation.target import PostMergeTarget

POST_MERGE_CHECKS: tuple[tuple[str, Callable[[PostMergeTarget], str]], ...] = (
    ("stack status", stack_status),
    *DNS_CHECKS,
    ("DMARC report authorization", dmarc_report_authorization),
    ("Postmark domain", domain_exists),
    ("Postmark DKIM verified", dkim_verified),
    ("Postmark Return-Path verified", return_path_verified),
    ("Postmark DKIM = DNS", dkim_matches_dns),
    ("DKIM rotation", dkim_rotation),
    ("token secret", secret_check(postmark_account_token_secret_name)),
    ("encryption key secret", secret_check(encryption_key_secret_name)),
    ("exports", exports),
)


def post_merge_checks(target: PostMergeTarget) -> list[CheckResult]:
    return [run_check(name, functools.partial(check, target)) for name, check in POST_MERGE_CHECKS]
