"""corporate-drift: assert Postmark and DNS agree for the corporate sending domain.

    python -m tools.corporate_drift [--resolver IP[:PORT]] [--json] [--markdown PATH] [--open-issue]

The corporate domain is `arda.ardamails.com` on PostmarkProd (token from
POSTMARK_PROD_ACCOUNT_TOKEN), with DKIM anchored at the parent domain itself - not at a
leaf such as a product sub-domain (DQ-R1-009); every FQDN comes from
`corporate_sending_domain_placement`.

Where the expected selector, key and Return-Path target come from: **Postmark is the
source of truth**, and DNS is asserted to agree with it. Reasons:

* this project does not provision the corporate domain (Phase 3's corporate instance group
  and `corporate-cli` own it), so no `cdk.context.json` block here would be written by the
  code that publishes the records - a hand-maintained copy would only add a fourth seam
  that can drift, and a stale copy would raise false alarms after every key rotation;
* the checks that caught the DQ-R1-009 divergence still run: Postmark's `Name`, DKIM host
  (active or pending) and `ReturnPathDomain` are compared with the placement computed
  from Postmark's own selector, so a signature registered at the wrong anchor is drift;
* DNS is then held to Postmark: the DKIM TXT (strings joined) must equal
  `dkim_txt_value(Postmark's key)` and the Return-Path CNAME must equal Postmark's
  `ReturnPathDomainCNAMEValue`; the zone must be delegated with SPF and DMARC well-formed.

If Postmark cannot answer, the DKIM and Return-Path DNS checks report that they could not
run (an error finding), while delegation, SPF and DMARC are still checked and reported.
Exit 0 clean, 1 drift, 2 usage or configuration error; `--open-issue` files an issue
labelled `drift` + `corporate`.
"""

from __future__ import annotations

import argparse

from tools.lib.drift.cli import DriverSpec, run
from tools.lib.drift.expected import ExpectedDomain, corporate_expected_domain


def _build_expected(args: argparse.Namespace) -> list[ExpectedDomain]:
    return [corporate_expected_domain()]


SPEC = DriverSpec(
    tool="corporate-drift",
    module="tools.corporate_drift",
    description="Assert Postmark + DNS agree for the corporate sending domain (arda.ardamails.com).",
    issue_title="corporate-drift: corporate mail drift detected",
    issue_labels=("drift", "corporate"),
    build_expected=_build_expected,
)


if __name__ == "__main__":
    run(SPEC)
