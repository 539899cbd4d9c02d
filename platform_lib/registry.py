"""The registry: every infrastructure and partition, as typed data in one place.

Adding a partition means one `Partition` entry here plus one instance module under
`instances/{infrastructure}/{partition}.py`; nothing else composes these facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from platform_lib.errors import SuspendedPartition, UnknownInfrastructure, UnknownPartition


class InfrastructureRole(Enum):
    """What an infrastructure's account is for."""

    ROOT_DNS = "root-dns"  # owns ardamails.com and the NS delegation role
    PARTITION_HOST = "partition-host"  # hosts partitions' email stacks


class PartitionStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # reserved, never deployed


class PostmarkAccount(Enum):
    """The Postmark accounts. The partition binding below is fixed: no mixing, no rebinding."""

    NON_PROD = "PostmarkNonProd"
    PROD = "PostmarkProd"

    @property
    def token_env_var(self) -> str:
        """Environment variable the drift workflow reads this account's token from."""
        return {
            PostmarkAccount.NON_PROD: "POSTMARK_NONPROD_ACCOUNT_TOKEN",
            PostmarkAccount.PROD: "POSTMARK_PROD_ACCOUNT_TOKEN",
        }[self]


@dataclass(frozen=True)
class Infrastructure:
    name: str
    account: str
    default_profile: str
    region: str
    role: InfrastructureRole


@dataclass(frozen=True)
class Partition:
    name: str
    status: PartitionStatus
    infrastructure: str
    postmark_account: PostmarkAccount
    # The cascade rule (DQ-R1-021): partitions that must be verified live before this one
    # deploys. The seeds: dev first; stage and demo need dev; prod needs stage and demo.
    needs: tuple[str, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.status is PartitionStatus.ACTIVE


# The Root account id is a placeholder until the operator fills it in (see the runbook).
# It is a syntactically valid id so every template synthesizes and lints.
PLATFORM_ROOT_ACCOUNT_PLACEHOLDER = "000000000000"

INFRASTRUCTURES: tuple[Infrastructure, ...] = (
    Infrastructure(
        name="PlatformRoot",
        account=PLATFORM_ROOT_ACCOUNT_PLACEHOLDER,
        default_profile="Admin-PlatformRoot",
        region="us-east-1",
        role=InfrastructureRole.ROOT_DNS,
    ),
    Infrastructure(
        name="Alpha001",
        account="009765408297",
        default_profile="Admin-Alpha1",
        region="us-east-1",
        role=InfrastructureRole.PARTITION_HOST,
    ),
    Infrastructure(
        name="Alpha002",
        account="139852620346",
        default_profile="Alpha002-Admin",
        region="us-east-1",
        role=InfrastructureRole.PARTITION_HOST,
    ),
)

# Order is the rollout order (DQ-R1-021): dev -> {stage || demo} -> prod; `needs` is the
# cascade rule amm.sh enforces (every partition named there verified live first).
PARTITIONS: tuple[Partition, ...] = (
    Partition("dev", PartitionStatus.ACTIVE, "Alpha002", PostmarkAccount.NON_PROD),
    Partition("stage", PartitionStatus.ACTIVE, "Alpha002", PostmarkAccount.NON_PROD, needs=("dev",)),
    Partition("demo", PartitionStatus.ACTIVE, "Alpha001", PostmarkAccount.PROD, needs=("dev",)),
    Partition("prod", PartitionStatus.ACTIVE, "Alpha001", PostmarkAccount.PROD, needs=("stage", "demo")),
    Partition("kyle", PartitionStatus.SUSPENDED, "Alpha002", PostmarkAccount.NON_PROD, needs=("dev",)),
)


@dataclass(frozen=True)
class CorporateInstanceGroup:
    """The corporate instance group (the seeds' Phase 3): `arda.ardamails.com` and the Free
    Kanban Tool's sending leaf. Its stacks deploy into `infrastructure`'s account; the seeds
    name no other account, so it is PlatformRoot's, beside `ardamails.com` (ADR-0023). Its
    Postmark account's token is the one in `token_partition`'s 1Password item (the same
    account, so the same token)."""

    infrastructure: str
    postmark_account: PostmarkAccount
    token_partition: str


CORPORATE = CorporateInstanceGroup(
    infrastructure="PlatformRoot",
    postmark_account=PostmarkAccount.PROD,
    token_partition="prod",  # noqa: S106 (a partition name)
)


def corporate_infrastructure() -> Infrastructure:
    return get_infrastructure(CORPORATE.infrastructure)


# Partitions that need a typed production confirmation before deploy.
PRODUCTION_PARTITIONS: frozenset[str] = frozenset({"prod"})


def _choices(names: list[str]) -> str:
    return ", ".join(names) if names else "(none)"


def infrastructure_names() -> list[str]:
    return [i.name for i in INFRASTRUCTURES]


def get_infrastructure(name: str) -> Infrastructure:
    """The infrastructure called `name`, or UnknownInfrastructure listing the valid ones."""
    for infra in INFRASTRUCTURES:
        if infra.name == name:
            return infra
    raise UnknownInfrastructure(f"unknown infrastructure {name!r}; valid: {_choices(infrastructure_names())}")


def root_infrastructure() -> Infrastructure:
    """The one infrastructure that owns ardamails.com."""
    (root,) = [i for i in INFRASTRUCTURES if i.role is InfrastructureRole.ROOT_DNS]
    return root


def partition_host_infrastructures() -> list[Infrastructure]:
    """Infrastructures whose accounts host partition email stacks."""
    return [i for i in INFRASTRUCTURES if i.role is InfrastructureRole.PARTITION_HOST]


def all_partitions() -> list[Partition]:
    return list(PARTITIONS)


def active_partitions(infrastructure: str | None = None) -> list[Partition]:
    """Active partitions in rollout order, optionally only those on one infrastructure."""
    if infrastructure is not None:
        get_infrastructure(infrastructure)
    return [
        p
        for p in PARTITIONS
        if p.is_active and (infrastructure is None or p.infrastructure == infrastructure)
    ]


def get_partition(name: str, *, require_active: bool = True) -> Partition:
    """The partition called `name`.

    Raises UnknownPartition (listing the valid partitions) or, when an active partition
    is needed, SuspendedPartition.
    """
    active = [p.name for p in active_partitions()]
    for part in PARTITIONS:
        if part.name == name:
            if require_active and not part.is_active:
                raise SuspendedPartition(
                    f"partition {name!r} is {part.status.value}; active: {_choices(active)}"
                )
            return part
    raise UnknownPartition(f"unknown partition {name!r}; active: {_choices(active)}")


def get_partition_on(infrastructure: str, partition: str, *, require_active: bool = True) -> Partition:
    """The partition, checked to live on `infrastructure` (both names validated)."""
    infra = get_infrastructure(infrastructure)
    on_infra = [p.name for p in active_partitions(infra.name)]
    try:
        part = get_partition(partition, require_active=require_active)
    except SuspendedPartition as exc:
        raise SuspendedPartition(
            f"partition {partition!r} is suspended; active on {infra.name}: {_choices(on_infra)}"
        ) from exc
    except UnknownPartition as exc:
        raise UnknownPartition(
            f"unknown partition {partition!r}; active on {infra.name}: {_choices(on_infra)}"
        ) from exc
    if part.infrastructure != infra.name:
        raise UnknownPartition(
            f"partition {partition!r} is on {part.infrastructure}, not {infra.name}; "
            f"active on {infra.name}: {_choices(on_infra)}"
        )
    return part


def infrastructure_of(partition: Partition) -> Infrastructure:
    return get_infrastructure(partition.infrastructure)


def postmark_account_of(partition: str) -> PostmarkAccount:
    """The fixed partition -> Postmark account binding."""
    return get_partition(partition, require_active=False).postmark_account


def requires_production_confirmation(partition: str) -> bool:
    return partition in PRODUCTION_PARTITIONS


def cascade_prerequisites(partition: Partition) -> list[Partition]:
    """The partitions that must be verified live before `partition` deploys (its rule)."""
    return [get_partition(name) for name in partition.needs]


def depends_on(partition: Partition, other: Partition) -> bool:
    """True when `other` is before `partition` in the cascade, directly or through others."""
    pending = list(partition.needs)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name == other.name:
            return True
        if name not in seen:
            seen.add(name)
            pending.extend(get_partition(name, require_active=False).needs)
    return False


def is_placeholder_account(infrastructure: Infrastructure) -> bool:
    return infrastructure.account == PLATFORM_ROOT_ACCOUNT_PLACEHOLDER
