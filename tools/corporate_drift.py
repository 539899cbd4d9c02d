"""corporate-drift: assert Postmark, DNS and cdk.context.json agree for the corporate group.

    python -m tools.corporate_drift [--resolver IP[:PORT]] [--json] [--markdown PATH] [--open-issue]

The corporate domain `arda.ardamails.com` on PostmarkProd (token from
POSTMARK_PROD_ACCOUNT_TOKEN), with DKIM anchored at the parent domain itself (DQ-R1-009), is
checked against its `corporateMail:...` block of `cdk.context.json` (written by
`./corporate-cli`) exactly as `runtime-platform-drift` checks partitions, with the same core:
the Postmark domain, the stack's DNS (delegation, SPF, DMARC, every DKIM key of a rotation,
Return-Path, the DMARC report authorization) and the cross-seam agreement. The Free Kanban
Tool's sending leaf `freekanban.arda.ardamails.com` is checked for its own SPF and DMARC
records and report authorization. Exit 0 clean, 1 drift, 3 could not check, 2 usage or
configuration error;
`--open-issue` files an issue labelled `drift` + `corporate`.
"""

from __future__ import annotations

import argparse

from platform_lib.sending_domain import corporate_sending_domain
from tools.checks.catalogue import ExpectedDomain
from tools.drift.driver import DriverSpec, run
from tools.drift.expected import corporate_expected_domains


def _build_expected(args: argparse.Namespace) -> list[ExpectedDomain]:
    return corporate_expected_domains(args.context_file)


SPEC = DriverSpec(
    tool="corporate-drift",
    module="tools.corporate_drift",
    description=(
        "Assert Postmark + DNS + cdk.context.json agree for the corporate domain (arda.ardamails.com) "
        "and the Free Kanban Tool's sending leaf."
    ),
    issue_title="corporate-drift: corporate mail drift detected",
    could_not_check_title="corporate-drift: could not check corporate mail (Postmark or DNS did not answer)",
    issue_labels=("drift", "corporate"),
    accounts=(corporate_sending_domain().postmark_account,),
    build_expected=_build_expected,
)


if __name__ == "__main__":
    run(SPEC)
