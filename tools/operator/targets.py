"""What a deploy deploys: a partition, or the corporate instance group.

The operator flow (`tools.operator.flows`) is one list of steps for both; a target supplies
what differs - its sending domain, its stacks and the CDK context that selects them, what a
failed first deploy leaves behind, the word that confirms it, and where the secret each
stack's NoEcho parameter carries comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from platform_lib.naming import (
    CORPORATE_SLUG,
    FREE_KANBAN_TOOL_SERVER_NAME,
    FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER,
    FREE_KANBAN_TOOL_STACK_NAME,
    POSTMARK_ACCOUNT_TOKEN_PARAMETER,
)
from platform_lib.registry import (
    CORPORATE,
    Infrastructure,
    Partition,
    cascade_prerequisites,
    get_infrastructure,
    requires_production_confirmation,
)
from platform_lib.sending_domain import SendingDomain, corporate_sending_domain, partition_sending_domain
from tools.aws.cdk import infrastructure_context, partition_context


@dataclass(frozen=True)
class StackDeploy:
    """One `cdk deploy`: the stack, and the NoEcho parameter that carries a secret (the
    partition's account token, or the Free Kanban Tool's server token) if it takes one."""

    stack: str
    secret_parameter: str | None = None
    carries: str = ""  # "account token" or "server token"
    exclusively: bool = False  # deploy this stack alone, not the stacks it depends on


@dataclass(frozen=True)
class DeployTarget:
    name: str  # how messages name it: "dev", "the corporate instance group"
    label: str  # how its steps are named: "Alpha002 dev", "arda.ardamails.com"
    domain: SendingDomain
    context_args: tuple[str, ...]  # the CDK context that selects its stacks
    stacks: tuple[StackDeploy, ...]
    confirmation_word: str | None  # typed before a deploy; None: no typed confirmation
    confirmation_prompt: str  # what the prompt says is about to be deployed
    confirmation_kind: str  # how the log names the confirmed deploy: "production deploy"
    needs: tuple[Partition, ...] = ()  # verified live before it deploys (the cascade)
    creates_server: str | None = None  # the Postmark server whose token a stack carries
    partition: Partition | None = field(default=None, compare=False)

    @property
    def infrastructure(self) -> Infrastructure:
        return get_infrastructure(self.domain.infrastructure)

    @property
    def retained_secrets(self) -> tuple[str, ...]:
        """The secrets a failed first deploy can leave behind without a stack."""
        return self.domain.secret_names


def partition_target(partition: Partition) -> DeployTarget:
    domain = partition_sending_domain(partition)
    production = requires_production_confirmation(partition.name)
    return DeployTarget(
        name=partition.name,
        label=f"{partition.infrastructure} {partition.name}",
        domain=domain,
        context_args=partition_context(partition),
        stacks=(StackDeploy(domain.stack_name, POSTMARK_ACCOUNT_TOKEN_PARAMETER, "account token"),),
        confirmation_word=partition.name if production else None,
        confirmation_prompt=f"Deploying production partition {partition.name} (the diff is above).",
        confirmation_kind="production deploy",
        needs=tuple(cascade_prerequisites(partition)),
        partition=partition,
    )


def corporate_target() -> DeployTarget:
    """The corporate domain's stack (with the Free Kanban Tool's server token) and the leaf's.
    PostmarkProd is production: always the typed confirmation."""
    domain = corporate_sending_domain()
    return DeployTarget(
        name="the corporate instance group",
        label=domain.zone_name,
        domain=domain,
        context_args=infrastructure_context(CORPORATE.infrastructure),
        stacks=(
            StackDeploy(
                domain.stack_name, FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER, "server token", exclusively=True
            ),
            StackDeploy(FREE_KANBAN_TOOL_STACK_NAME, exclusively=True),
        ),
        confirmation_word=CORPORATE_SLUG,
        confirmation_prompt=f"Deploying the corporate mail domain {domain.zone_name} (PostmarkProd; the diffs are above).",
        confirmation_kind="corporate deploy",
        creates_server=FREE_KANBAN_TOOL_SERVER_NAME,
    )
