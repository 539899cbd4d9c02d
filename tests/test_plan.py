"""`./amm.sh plan` for real: the script, the CDK CLI's synth, moto with three accounts, the
Postmark simulator and a loopback DNS server, at four points of a rollout - nothing
deployed, Root deployed, dev deployed and verified, dev's context block changed - and with one
infrastructure's profile missing. The JSON is held to `docs/plan.schema.json`.

Decisions that need no cloud (the cascade, the exit status, reminders) are tested on
hand-built surveys below the end-to-end test.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from platform_lib.context_store import PROJECT_CONTEXT_FILE, PROJECT_ROOT
from platform_lib.registry import PostmarkAccount, active_partitions
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
from tests.support.postmark_simulator import PostmarkSimulator, new_dkim_public_key
from tools.aws.template_diff import StackDiff, diff_templates, template_problem
from tools.checks.catalogue import ExpectedDomain, Tag, selected
from tools.checks.findings import Finding, Seam, Status
from tools.checks.report import Judged
from tools.cli.contract import PlanStatus, UsageError
from tools.plan import main as plan_main
from tools.planning.decide import Action, Facts, decide
from tools.planning.prerequisites import record_done, recorded_done
from tools.planning.subjects import plan_targets
from tools.planning.survey import StackState, Survey, read_blocks

SCHEMA = json.loads((PROJECT_ROOT / "docs" / "plan.schema.json").read_text())
ROWS = ["PlatformRoot-RootDns", *(p.name for p in active_partitions()), "corporate"]


def plan(workspace: Workspace, simulator: PostmarkSimulator, *args: str) -> subprocess.CompletedProcess[str]:
    """`./amm.sh plan --json …`, which asks Postmark only questions that change nothing."""
    before = len(simulator.exchanges)
    result = workspace.run("plan", "--json", *args, timeout=300)
    assert {e.method for e in simulator.exchanges[before:]} <= {"GET"}, "the plan changes nothing"
    return result


def rows(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    return {row["name"]: row for row in data["targets"]}


@pytest.mark.e2e
@pytest.mark.xdist_group("plan")
def test_the_plan_at_each_point_of_a_rollout(tmp_path: Path) -> None:
    simulator = PostmarkSimulator(
        {NONPROD_TOKEN: "PostmarkNonProd", PROD_TOKEN: "PostmarkProd"}, dkim_verify_attempts=1
    )
    with MotoServer(account=None) as cloud, simulator, LoopbackDnsServer() as dns:
        workspace = new_workspace(tmp_path, cloud, postmark_url=simulator.url)
        workspace.env.update(
            POSTMARK_NONPROD_ACCOUNT_TOKEN=NONPROD_TOKEN, POSTMARK_PROD_ACCOUNT_TOKEN=PROD_TOKEN
        )
        resolver = ["--resolver", dns.address]
        context_before = workspace.context()

        # 1. Nothing deployed: every stack "not deployed", the Root deploy is next, exit 2.
        nothing = plan(workspace, simulator, *resolver)
        assert nothing.returncode == PlanStatus.PENDING, nothing.stdout[-3000:] + nothing.stderr
        found = rows(nothing)
        assert list(found) == ROWS
        assert all(
            s["status"] is None and s["diff"]["state"] == "not-deployed"
            for r in found.values()
            for s in r["stacks"]
        )
        assert found["PlatformRoot-RootDns"]["action"] == "deploy"
        assert {found[p.name]["action"] for p in active_partitions()} == {"blocked"}
        assert found["dev"]["blockedBy"] == ["PlatformRoot-RootDns"]
        assert json.loads(nothing.stdout)["next"] == "./amm.sh PlatformRoot"
        assert [r["id"] for r in found["dev"]["reminders"]] == ["T-O1", "T-O4"]

        # 2. Root deployed as this checkout synthesizes it: dev is next; stage, demo, prod
        # wait for the cascade; the corporate group is ready on its own.
        deploy_root_directly(cloud, golden_root_template())
        after_root = plan(workspace, simulator, *resolver)
        found = rows(after_root)
        assert found["PlatformRoot-RootDns"]["action"] == "nothing to do"
        assert found["PlatformRoot-RootDns"]["stacks"][0]["diff"]["state"] == "no-changes"
        assert found["dev"]["action"] == "deploy" and found["dev"]["next"] == "./amm.sh Alpha002 dev"
        assert found["stage"]["action"] == "blocked" and found["stage"]["blockedBy"] == ["dev"]
        assert found["prod"]["blockedBy"] == ["stage", "demo"]
        assert found["corporate"]["action"] == "deploy"
        data = json.loads(after_root.stdout)
        assert data["next"] == "./amm.sh Alpha002 dev" and data["alsoReady"] == ["./corporate-cli"]

        # 3. dev deployed, public, verified: nothing to do for dev; stage or demo is next.
        workspace.bootstrap("Alpha002-Admin")
        deployed = workspace.run("--yes", "--resolver", dns.address, "Alpha002", "dev")
        assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-2000:]
        publish_zone(dns, cloud, ALPHA002, "dev.ardamails.com")
        after_dev = plan(workspace, simulator, *resolver)
        found = rows(after_dev)
        assert found["dev"]["action"] == "nothing to do", found["dev"]
        assert found["dev"]["live"] is True and found["dev"]["stacks"][0]["status"] == "CREATE_COMPLETE"
        assert found["stage"]["action"] == "deploy" and found["demo"]["action"] == "deploy"
        assert found["prod"]["blockedBy"] == ["stage", "demo"]
        data = json.loads(after_dev.stdout)
        assert data["next"] == "./amm.sh Alpha002 stage"
        assert data["alsoReady"][:1] == ["./amm.sh Alpha001 demo"]
        assert after_dev.returncode == PlanStatus.PENDING
        table = workspace.run("plan", *resolver, timeout=300)
        assert table.returncode == PlanStatus.PENDING
        assert "next: ./amm.sh Alpha002 stage" in table.stdout
        (tmp_path / "plan-after-dev.txt").write_text(table.stdout)

        # 4. dev's block now names another key: its diff replaces the DKIM record; exit 2.
        context = json.loads(workspace.context())
        context["partitionMail:Alpha002:dev"].update(
            dkimSelector="20270101000000pm", dkimPublicKey=new_dkim_public_key()
        )
        (workspace.root / "cdk.context.json").write_text(json.dumps(context, indent=2))
        changed = plan(workspace, simulator, *resolver, "Alpha002", "dev")
        assert changed.returncode == PlanStatus.PENDING
        (dev,) = rows(changed).values()
        diff = dev["stacks"][0]["diff"]
        assert diff["state"] == "changes" and [i for i in diff["replace"] if i.startswith("Dkim")], diff
        assert dev["action"] == "deploy" and dev["next"] == "./amm.sh Alpha002 dev"

        # 5. Alpha001's profile is gone: its rows could not be checked, the others still
        # print, exit 1.
        config = Path(workspace.env["AWS_CONFIG_FILE"])
        config.write_text(config.read_text().replace("[profile Admin-Alpha1]", "[profile Renamed]"))
        missing = plan(workspace, simulator, *resolver)
        assert missing.returncode == PlanStatus.COULD_NOT_PLAN
        found = rows(missing)
        for name in ("demo", "prod"):
            assert found[name]["action"] == "could not check"
            assert "AWS profile 'Admin-Alpha1' not found" in found[name]["why"]
        assert found["PlatformRoot-RootDns"]["action"] == "nothing to do"
        assert found["dev"]["action"] == "deploy"

    assert workspace.logs() and len(workspace.logs()) == 1, "the plan wrote no run log; the deploy one"
    assert simulator.server_calls == []
    for result in (nothing, after_root, after_dev, changed, missing):
        assert (
            NONPROD_TOKEN not in result.stdout + result.stderr
            and PROD_TOKEN not in result.stdout + result.stderr
        )
    assert context_before != workspace.context(), "the deploy (not the plan) wrote dev's block"


# --- decisions on hand-built surveys ---------------------------------------------------------


def _survey(**stacks: StackState) -> Survey:
    """Every stack deployed and unchanged, every block usable, nothing judged - then `stacks`."""
    targets = plan_targets()
    found = Survey()
    for target in targets:
        for stack in target.stacks:
            found.stacks[stack] = stacks.get(
                stack, StackState(stack, "UPDATE_COMPLETE", datetime.now(UTC), {})
            )
            found.synthesized[stack] = {}
            found.diffs[stack] = StackDiff(stack, (), False, False, ())
    found.blocks = read_blocks(targets, PROJECT_CONTEXT_FILE)
    return found


def _facts(done: frozenset[str] = frozenset({"T-O1", "T-O4"})) -> Facts:
    return Facts(frozenset(PostmarkAccount), frozenset(), done, "127.0.0.1:53", "tokens from the test")


def _live(survey: Survey, *names: str) -> None:
    """Every LIVE check of these partitions passes (what the cascade gate needs)."""
    targets = {t.name: t for t in plan_targets()}
    for name in names:
        domain = targets[name].domains[0]
        subject = ExpectedDomain(domain, survey.blocks[domain.context_key])  # type: ignore[arg-type]
        for check in selected(tags=[Tag.LIVE]):
            survey.judged.append(
                Judged(subject, check, Finding(domain.zone_name, check.seam, check.id, Status.OK, "ok"))
            )


def test_nothing_to_do_is_exit_0_only_once_the_operator_tasks_are_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tools.planning.decide.is_placeholder_account", lambda _: False)
    survey = _survey()
    _live(survey, *(p.name for p in active_partitions()))
    every = [t.name for t in plan_targets()]
    done = decide(plan_targets(), survey, _facts(), every)
    assert done.status is PlanStatus.NOTHING_TO_DO and done.next is None
    assert {r.action for r in done.rows} == {Action.NOTHING}
    reminded = decide(plan_targets(), survey, _facts(frozenset({"T-O1"})), every)
    assert reminded.status is PlanStatus.PENDING
    assert (
        reminded.next
        == "confirm T-O4 (the non-production Postmark account (PostmarkNonProd) is approved for sending), then `./amm.sh plan --done T-O4`"
    )


def test_a_partition_whose_need_is_not_live_is_blocked_and_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tools.planning.decide.is_placeholder_account", lambda _: False)
    survey = _survey(**{"Alpha001-prod-Email": StackState("Alpha001-prod-Email", None)})
    _live(survey, "dev", "stage")  # demo is deployed but not verified live
    plan_ = decide(plan_targets(), survey, _facts(), ["prod"])
    (prod,) = plan_.rows
    assert prod.action is Action.BLOCKED and prod.blocked_by == ("demo",) and prod.next is None
    assert plan_.status is PlanStatus.PENDING and plan_.next is None


def test_a_drifted_dns_record_is_fix_with_the_deploy_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tools.planning.decide.is_placeholder_account", lambda _: False)
    survey = _survey()
    _live(survey, *(p.name for p in active_partitions()))
    spf = next(
        j for j in survey.judged if j.subject.zone_name == "stage.ardamails.com" and j.check.id == "dns.spf"
    )
    survey.judged.remove(spf)
    survey.judged.append(
        Judged(
            spf.subject,
            spf.check,
            Finding("stage.ardamails.com", Seam.DNS, "dns.spf", Status.DRIFT, "SPF is gone"),
        )
    )
    plan_ = decide(plan_targets(), survey, _facts(), ["stage", "prod"])
    stage, prod = plan_.rows
    assert (
        stage.action is Action.FIX and stage.next == "./amm.sh Alpha002 stage" and "SPF is gone" in stage.why
    )
    assert prod.action is Action.NOTHING, "deployed and unchanged: not blocked by stage's drift"


def test_the_placeholder_root_account_is_the_first_thing_to_fix() -> None:
    plan_ = decide(plan_targets(), _survey(), _facts(), [t.name for t in plan_targets()])
    root = plan_.rows[0]
    assert root.action is Action.FIX and "placeholder" in root.why
    assert plan_.next == "set the real PlatformRoot account id in platform_lib/registry.py (see the runbook)"


def test_an_operator_task_recorded_done_leaves_the_reminders(tmp_path: Path) -> None:
    assert recorded_done(tmp_path) == set()
    path = record_done(tmp_path, "T-O1")
    assert path.name.startswith("plan-") and path.name.endswith("-done.log")
    assert "prerequisite T-O1 recorded done by" in path.read_text()
    assert recorded_done(tmp_path) == {"T-O1"}
    (tmp_path / "plan-20260101T000000Z-1-done.log").write_text(
        "prerequisite T-O4 recorded done (no timestamp)\n"
    )
    assert recorded_done(tmp_path) == {"T-O1"}, "only the plan's own record lines count"
    with pytest.raises(UsageError, match="unknown operator task 'T-O9'; the tasks are T-O1, T-O4"):
        record_done(tmp_path, "T-O9")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Alpha003"], "plan: error: unknown infrastructure 'Alpha003'"),
        (["Alpha002", "kyle"], "plan: error: partition 'kyle' is suspended"),
        (
            ["--markdown", "/nonexistent-folder/plan.md"],
            "plan: error: --markdown /nonexistent-folder/plan.md: the folder",
        ),
        (
            ["--kube-context", "ctx"],
            "plan: error: --kube-context NAME alone needs exactly one partition planned",
        ),
        (
            ["--kube-context", "corporate=ctx"],
            "plan: error: --kube-context names corporate, not a partition being planned",
        ),
        (["--profile", "Alpha002"], "plan: error: --profile 'Alpha002' must be KEY=NAME"),
        (["--done", "T-O9"], "plan: error: unknown operator task 'T-O9'"),
        (
            ["--timeout", "0"],
            "plan: error: argument --timeout: '0' must be a finite number of seconds above 0",
        ),
        (["--markdown", ""], "plan: error: --markdown needs a path ('-' for stdout)"),
        (
            ["--markdown", "x" * 300 + "/plan.md"],
            f"plan: error: --markdown {'x' * 120} is not a usable path (File name too long)",
        ),
        (["--profile", "Nope=x"], "plan: error: unknown infrastructure 'Nope'"),
        (
            ["--profile", "Alpha002=a", "--profile", "Alpha002=b"],
            "plan: error: --profile names Alpha002 twice",
        ),
        (
            ["--kube-context", "dev=a", "--kube-context", "dev=b"],
            "plan: error: --kube-context names dev twice",
        ),
        (["--done", ""], "plan: error: argument --done: an empty value was given"),
    ],
)
def test_bad_usage_is_one_line_and_exit_1_never_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2 means "changes pending" for the plan, so a usage error must not be 2."""
    monkeypatch.setenv("AMM_LOG_DIR", str(tmp_path / "logs"))
    assert plan_main(args) == PlanStatus.COULD_NOT_PLAN
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1 and captured.err.startswith(message), (
        captured.err
    )


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ./amm.sh plan") and "1 could not plan every row" in " ".join(out.split())


def test_a_plan_past_its_deadline_says_could_not_check_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No AWS account answers in time and the synth is cut off: every row is "could not
    check" within the deadline (plus the probes' own), never a hang."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AMM_LOG_DIR", str(tmp_path / "logs"))
    for name in ("POSTMARK_NONPROD_ACCOUNT_TOKEN", "POSTMARK_PROD_ACCOUNT_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    started = time.monotonic()
    code = plan_main(["--timeout", "1", "--resolver", "127.0.0.1:9", "--json"])
    assert time.monotonic() - started < 30
    assert code == PlanStatus.COULD_NOT_PLAN
    found = {row["name"]: row for row in json.loads(capsys.readouterr().out)["targets"]}
    assert found["dev"]["action"] == "could not check"
    assert "AWS profile 'Alpha002-Admin' not found" in found["dev"]["why"]


def test_nothing_to_do_needs_every_check_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployed as synthesized is not enough: without a Postmark token, or with a partition
    whose live checks did not all answer, the row is "could not check" - never "nothing to do"."""
    monkeypatch.setattr("tools.planning.decide.is_placeholder_account", lambda _: False)
    survey = _survey()
    _live(survey, "dev", "stage", "demo")  # prod's live checks never answered
    facts = Facts(frozenset({PostmarkAccount.PROD}), frozenset(), frozenset({"T-O1", "T-O4"}), "x", "y")
    plan_ = decide(plan_targets(), survey, facts, ["dev", "prod"])
    dev, prod = plan_.rows
    assert dev.action is Action.COULD_NOT_CHECK and "POSTMARK_NONPROD_ACCOUNT_TOKEN, or pass --op" in dev.why
    assert prod.action is Action.COULD_NOT_CHECK and "its live state is unknown" in prod.why
    assert plan_.status is PlanStatus.COULD_NOT_PLAN


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("ROLLBACK_COMPLETE", "after a failed first deploy and cannot be updated"),
        ("UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_FAILED"),
        ("UPDATE_IN_PROGRESS", "another operation is under way; wait for it"),
    ],
)
def test_a_stack_the_failed_deploy_gate_refuses_is_fix_and_blocks_what_waits_on_it(
    monkeypatch: pytest.MonkeyPatch, status: str, words: str
) -> None:
    monkeypatch.setattr("tools.planning.decide.is_placeholder_account", lambda _: False)
    survey = _survey(**{"PlatformRoot-RootDns": StackState("PlatformRoot-RootDns", status)})
    survey.stacks["Alpha001-prod-Email"] = StackState("Alpha001-prod-Email", None)
    _live(survey, *(p.name for p in active_partitions()))
    root, prod = decide(plan_targets(), survey, _facts(), ["PlatformRoot-RootDns", "prod"]).rows
    assert root.action is Action.FIX and words in root.why and root.next is None
    assert prod.action is Action.BLOCKED and prod.blocked_by == ("PlatformRoot-RootDns",)


def test_a_refused_stack_whose_template_is_not_read_says_its_clean_up_with_the_profile_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A REVIEW_IN_PROGRESS stack has no template to diff: the row still says the gate's
    clean-up (not "could not check"), naming the profile this plan was given."""
    monkeypatch.setattr("tools.planning.decide.is_placeholder_account", lambda _: False)
    survey = _survey(**{"Alpha002-dev-Email": StackState("Alpha002-dev-Email", "REVIEW_IN_PROGRESS")})
    del survey.diffs["Alpha002-dev-Email"]
    facts = _facts()
    facts = Facts(
        facts.postmark_accounts,
        facts.kube_partitions,
        facts.done,
        facts.resolver,
        facts.postmark,
        {"Alpha002": "my-alpha2"},
    )
    (dev,) = decide(plan_targets(), survey, facts, ["dev"]).rows
    assert dev.action is Action.FIX
    assert "is REVIEW_IN_PROGRESS: a deploy created its change set and never ran it" in dev.why
    assert "aws cloudformation delete-stack --stack-name Alpha002-dev-Email --profile my-alpha2" in dev.why


def test_a_difference_the_library_does_not_show_is_still_a_change() -> None:
    """`cdk diff` leaves Rules (the bootstrap version check), Description and the like out; the
    Root-unchanged gate compares exactly, so the plan must see them."""
    template = json.loads(
        (PROJECT_ROOT / "tests" / "golden" / "PlatformRoot-RootDns.template.json").read_text()
    )
    changed = {**template, "Rules": {"CheckBootstrapVersion": {"Assertions": []}}, "Description": "x"}
    (diff,) = diff_templates([("Root", template, changed)]).values()
    assert not diff.empty and {"Rules", "Description"} <= set(diff.other_changes)
    assert diff_templates([("Root", template, template)])["Root"].empty


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ({"Resources": []}, "its Resources are not an object"),
        ({"Resources": {"__proto__": {"Type": "AWS::SNS::Topic"}}}, "a logical id is not alphanumeric"),
        ({"Resources": {"Topic": {}}}, "resource Topic has no Type"),
        ([], "not a JSON object"),
    ],
)
def test_a_template_the_library_would_misread_is_not_diffed(template: Any, problem: str) -> None:
    assert template_problem(template) == problem or (template_problem(template) or "").startswith(problem)


def test_done_is_recorded_only_once_every_other_argument_is_good(tmp_path: Path) -> None:
    env = {"AMM_LOG_DIR": str(tmp_path)}
    assert plan_main(["--done", "T-O1", "--markdown", "/nonexistent-folder/x.md"], env=env) == 1
    assert plan_main(["--done", "T-O4", "Nope"], env=env) == 1
    assert list(tmp_path.iterdir()) == [] and recorded_done(tmp_path) == set()


def test_a_user_name_cannot_pose_as_a_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, "x\n[00:00:00] prerequisite T-O4 recorded done by y")
    record_done(tmp_path, "T-O1")
    assert recorded_done(tmp_path) == {"T-O1"}


def test_a_stack_is_described_once_however_many_readers_ask_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's stack rows and the checks' stack and delegation probes run side by side:
    they share one description of each stack (and one failure, if it fails)."""
    import threading

    from tools.aws.deployment import Deployments

    calls: list[str] = []
    started = threading.Barrier(8)

    class CloudFormation:
        def describe_stacks(self, StackName: str) -> Any:  # noqa: N803 (boto3's spelling)
            calls.append(StackName)
            time.sleep(0.05)  # every reader is waiting meanwhile
            return {"Stacks": [{"StackName": StackName, "StackStatus": "CREATE_COMPLETE"}]}

    class Sessions:
        def of(self, infrastructure: str) -> tuple[Any, str]:
            return object(), "Alpha002-Admin"

    aws = Deployments(Sessions())  # type: ignore[arg-type]
    seen: list[Any] = []

    def read() -> None:
        started.wait()
        seen.append(aws.described("Alpha002", "Alpha002-dev-Email"))

    from tools.aws import deployment

    monkeypatch.setattr(deployment, "client", lambda session, service: CloudFormation())
    readers = [threading.Thread(target=read) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(10)
    assert calls == ["Alpha002-dev-Email"] and len(seen) == 8
