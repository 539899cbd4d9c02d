"""The cluster's seam (where a tool is given a kube context): External Secrets Operator
projects the partition's encryption key into its cluster - the planning documents' Phase 4
check. The ExternalSecret must read this partition's Secrets Manager secret, report
`SecretSynced`, and its Kubernetes Secret must exist. A cluster that cannot be asked is
"not checked", never a pass."""

from __future__ import annotations

from platform_lib.naming import ENCRYPTION_KEY_EXTERNAL_SECRET
from tools.checks.catalogue import CheckId, ExpectedDomain, Observations, Probe, Tag, check
from tools.checks.findings import Finding, Seam, drift, error, ok
from tools.kube.kubectl import ExternalSecretState

SEAM = Seam.KUBERNETES
MANIFESTS = "docs/secret-delivery-pattern.md"


@check(
    CheckId.KUBE_ENCRYPTION_KEY,
    seam=SEAM,
    title="encryption key in the cluster (ESO)",
    probes=[Probe.EXTERNAL_SECRET],
    tags=[Tag.POST_MERGE],
)
def encryption_key_projected(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    wanted = expected.domain.encryption_key_secret
    if wanted is None:
        return None  # only a partition has an encryption key
    zone, check_id = expected.zone_name, CheckId.KUBE_ENCRYPTION_KEY
    outcome = obs[Probe.EXTERNAL_SECRET]
    if outcome.value is None:
        return error(zone, SEAM, check_id, f"not checked: {outcome.failure}")
    state: ExternalSecretState = outcome.value
    name = ENCRYPTION_KEY_EXTERNAL_SECRET
    if not state.found:
        return drift(
            zone,
            SEAM,
            check_id,
            f"no ExternalSecret {name} in the cluster; apply the partition's ESO manifests ({MANIFESTS})",
        )
    if wanted not in state.remote_keys:
        reads = ", ".join(state.remote_keys) or "no Secrets Manager key"
        return drift(
            zone,
            SEAM,
            check_id,
            f"ExternalSecret {name} reads {reads}, not {wanted}: the wrong cluster or manifest?",
        )
    if not state.synced:
        why = f"Ready={state.ready_status or 'missing'}, reason {state.reason or 'none'}"
        return drift(
            zone,
            SEAM,
            check_id,
            f"ExternalSecret {name} is not synced ({why}){': ' + state.message if state.message else ''}",
        )
    if not state.target_exists:
        return drift(
            zone,
            SEAM,
            check_id,
            f"ExternalSecret {name} reports {state.reason} but its Secret {state.target} does not exist",
        )
    return ok(
        zone,
        SEAM,
        check_id,
        f"ExternalSecret {name} SecretSynced from {wanted}; Secret {state.target} exists",
    )
