"""`./amm.sh plan` benchmark: its table and wall time at three points of a rollout on moto.

The rollout of the planning documents, as far as it matters here: nothing deployed, the Root
stack deployed, dev deployed and verified (`./amm.sh --yes Alpha002 dev`, the loopback DNS
server then serving its zone). At each point the plan runs as the operator runs it, for
every target (Root, every active partition, the corporate group), and its table and wall
time are printed. Stand-ins: moto (three accounts), the Postmark simulator, a loopback DNS
server. Run: `source scripts/env.sh && python -m bench.plan_bench` (about a minute).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests.support.amm_workspace import (
    ALPHA002,
    NONPROD_TOKEN,
    PROD_TOKEN,
    Workspace,
    deploy_root_directly,
    golden_root_template,
    new_workspace,
    publish_zone,
)
from tests.support.dns_server import LoopbackDnsServer
from tests.support.moto_server import MotoServer
from tests.support.postmark_simulator import PostmarkSimulator


def _plan(workspace: Workspace, resolver: str, point: str) -> float:
    started = time.perf_counter()
    result = workspace.run("plan", "--resolver", resolver, timeout=600)
    seconds = time.perf_counter() - started
    print(f"=== {point}: exit {result.returncode}, {seconds:.1f} s wall ===")
    print(result.stdout.rstrip())
    if result.stderr.strip():
        print(result.stderr.rstrip())
    print()
    return seconds


def main() -> None:
    simulator = PostmarkSimulator(
        {NONPROD_TOKEN: "PostmarkNonProd", PROD_TOKEN: "PostmarkProd"}, dkim_verify_attempts=1
    )
    with (
        tempfile.TemporaryDirectory(prefix="plan-bench-") as folder,
        MotoServer(account=None) as cloud,
        simulator,
        LoopbackDnsServer() as dns,
    ):
        workspace = new_workspace(Path(folder), cloud, postmark_url=simulator.url)
        workspace.env.update(
            POSTMARK_NONPROD_ACCOUNT_TOKEN=NONPROD_TOKEN, POSTMARK_PROD_ACCOUNT_TOKEN=PROD_TOKEN
        )
        times = {"nothing deployed": _plan(workspace, dns.address, "nothing deployed")}
        deploy_root_directly(cloud, golden_root_template())
        times["Root deployed"] = _plan(workspace, dns.address, "Root deployed")
        workspace.bootstrap("Alpha002-Admin")
        deployed = workspace.run("--yes", "--resolver", dns.address, "Alpha002", "dev")
        if deployed.returncode != 0:
            raise SystemExit(f"the dev deploy failed: {deployed.stderr[-2000:]}")
        publish_zone(dns, cloud, ALPHA002, "dev.ardamails.com")
        times["dev deployed and verified"] = _plan(workspace, dns.address, "dev deployed and verified")
    print("plan wall time (every target: Root, each active partition, the corporate group):")
    for point, seconds in times.items():
        print(f"  {point:<28} {seconds:5.1f} s")


if __name__ == "__main__":
    main()
