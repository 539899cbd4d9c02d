"""The Root stack's deploy as steps (`./amm.sh PlatformRoot`): synthesize once, and show,
deploy and check that same cloud assembly - what is confirmed is what is deployed."""

from __future__ import annotations

from platform_lib.naming import ROOT_DNS_STACK_NAME
from platform_lib.registry import root_infrastructure
from tools.aws import cdk as cdk_cli
from tools.operator import gates
from tools.operator.confirm import typed_confirmation
from tools.operator.flow import Operation
from tools.operator.gate_steps import gate


class SynthRoot:
    def describe(self, op: Operation) -> list[str]:
        return [
            f"cdk synth {ROOT_DNS_STACK_NAME} into a cloud assembly (diffed, deployed and checked as it is)"
        ]

    def run(self, op: Operation) -> bool:
        op.assembly = op.new_assembly("amm-root-assembly-")
        op.synthesized_root = cdk_cli.synth_root_template(op.log, op.assembly)
        session, profile = op.sessions.of(op.infrastructure.name)
        if gates.deployed_root_template(session, profile) == op.synthesized_root:
            op.log.say(
                f"gate (Root unchanged): ok - {ROOT_DNS_STACK_NAME} is already deployed as synthesized; nothing to do"
            )
            op.outcomes[ROOT_DNS_STACK_NAME] = "ok (unchanged)"
            return True  # nothing more to do
        return False


class DiffAndConfirmRoot:
    def describe(self, op: Operation) -> list[str]:
        how = (
            "confirmed by --yes, after the diff"
            if op.assume_yes
            else f"type '{root_infrastructure().name}' to confirm"
        )
        return [f"cdk diff {ROOT_DNS_STACK_NAME} of that assembly (shown)", f"({how})"]

    def run(self, op: Operation) -> None:
        assert op.assembly is not None
        cdk_cli.diff(op.log, ROOT_DNS_STACK_NAME, cdk_cli.assembly(op.assembly), op.cdk_env())
        typed_confirmation(
            root_infrastructure().name,
            f"Deploying the Root stack {ROOT_DNS_STACK_NAME} (ardamails.com; the diff is above).",
            assume_yes=op.assume_yes,
            log=op.log,
            what="Root deploy",
        )


class DeployRoot:
    def describe(self, op: Operation) -> list[str]:
        flags = " ".join(cdk_cli.deploy_flags(cdk_cli.NEVER_ASK))
        return [
            f"cdk deploy {ROOT_DNS_STACK_NAME} --app <that assembly> {flags} --outputs-file <the run's outputs file>"
        ]

    def run(self, op: Operation) -> None:
        assert op.assembly is not None
        cdk_cli.deploy(
            op.log,
            ROOT_DNS_STACK_NAME,
            cdk_cli.assembly(op.assembly),
            op.cdk_env(),
            None,
            outputs_file=op.outputs_file,
        )


class RootDeployedAsSynthesized:
    def describe(self, op: Operation) -> list[str]:
        return [f"gate (Root unchanged): the deployed {ROOT_DNS_STACK_NAME} equals the synthesized one"]

    def run(self, op: Operation) -> None:
        assert op.synthesized_root is not None
        synthesized = op.synthesized_root
        session, profile = op.sessions.of(op.infrastructure.name)
        gate(op, "Root unchanged", lambda: gates.root_unchanged(synthesized, session, profile))
        op.outcomes[ROOT_DNS_STACK_NAME] = "ok (deployed)"
