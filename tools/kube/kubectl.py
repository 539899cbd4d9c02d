"""`kubectl`, bounded: an `ExternalSecret`'s state and whether its Kubernetes Secret exists.

Only two reads, both read-only: `get externalsecret NAME -o json` (its spec and status hold
no secret value) and `get secret NAME -o name` (the name only: the Secret's data - the
encryption key - is never asked for). Each runs with no input, a time limit and an output
limit (`tools.runtime.bounded.run_bounded`); its answer is checked against the shape the
External Secrets Operator documents before anything of it is used. A missing `kubectl`, an
unknown context or an unreachable cluster is a `KubeUnavailable` (the row is "not
checked", never a pass); `kubectl`'s own words are outside text, shown redacted, escaped
and cut.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from platform_lib.naming import ENCRYPTION_KEY_EXTERNAL_SECRET
from platform_lib.sending_domain import SendingDomain
from tools.cli.contract import OperatorError
from tools.runtime.bounded import TooMuchOutput, run_bounded
from tools.secrets.outside_text import outside_text

KUBECTL_TIMEOUT_SECONDS = 20.0
MAX_OUTPUT_BYTES = 1024 * 1024
READY = "Ready"
SYNCED = "SecretSynced"  # the ExternalSecret condition reason once the Secret is written


class KubeUnavailable(OperatorError):
    """`kubectl` could not answer (missing, unknown context, cluster unreachable, a bad answer)."""


@dataclass(frozen=True)
class ExternalSecretState:
    """What the cluster says about one ExternalSecret (`found` False: there is none)."""

    name: str
    found: bool
    ready_status: str = ""  # the Ready condition's status: "True", "False", "Unknown" or ""
    reason: str = ""
    message: str = ""
    remote_keys: tuple[str, ...] = ()  # the Secrets Manager secrets it reads
    target: str = ""  # the Kubernetes Secret it writes
    target_exists: bool = False

    @property
    def synced(self) -> bool:
        return self.ready_status == "True" and self.reason == SYNCED


@dataclass(frozen=True)
class Kubectl:
    """One cluster: a kubeconfig context and (optionally) a namespace."""

    context: str
    namespace: str | None = None
    timeout: float = KUBECTL_TIMEOUT_SECONDS

    def _where(self) -> str:
        return f"context {self.context!r}" + (f", namespace {self.namespace!r}" if self.namespace else "")

    def _get(self, *what: str) -> tuple[int, str, str]:
        executable = shutil.which("kubectl")
        if executable is None:
            raise KubeUnavailable("kubectl not found on PATH; install it to check the cluster")
        argv = [executable, "--context", self.context, "--request-timeout", f"{self.timeout:g}s"]
        if self.namespace:
            argv += ["--namespace", self.namespace]
        try:
            code, out, err = run_bounded([*argv, "get", *what], self.timeout + 5, MAX_OUTPUT_BYTES)
        except TooMuchOutput:
            raise KubeUnavailable(
                f"kubectl get {' '.join(what)} wrote more than {MAX_OUTPUT_BYTES} bytes"
            ) from None
        except OSError as exc:
            raise KubeUnavailable(f"cannot run kubectl ({exc.strerror or type(exc).__name__})") from None
        if code is None:
            raise KubeUnavailable(
                f"kubectl get {what[0]} in {self._where()} did not answer within {self.timeout + 5:g} s"
            )
        return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def _failure(self, what: str, code: int, err: str) -> KubeUnavailable:
        said = err.lower()
        if "context" in said and ("does not exist" in said or "not found" in said):
            return KubeUnavailable(
                f"kube context {self.context!r} is not in your kubeconfig; pass the partition cluster's context"
            )
        if "doesn't have a resource type" in said:
            return KubeUnavailable(
                f"the cluster of {self._where()} has no {what} resource type: is External Secrets Operator installed?"
            )
        return KubeUnavailable(
            f"kubectl get {what} in {self._where()} failed (exit {code}): {outside_text(err, 200)}"
        )

    def external_secret(self, name: str) -> ExternalSecretState:
        code, out, err = self._get("externalsecret", name, "--output", "json")
        if code != 0:
            if _not_found(err, "externalsecrets.external-secrets.io", name):
                return ExternalSecretState(name, found=False)
            raise self._failure("externalsecret", code, err)
        state = _parse_external_secret(name, out)
        if not _NAME.fullmatch(state.target):
            raise KubeUnavailable(f"ExternalSecret {name} names a target that is not a Kubernetes name")
        return ExternalSecretState(**{**state.__dict__, "target_exists": self._secret_exists(state.target)})

    def _secret_exists(self, name: str) -> bool:
        code, out, err = self._get("secret", name, "--output", "name")
        if code == 0:
            if out.strip() != f"secret/{name}":  # never echoed: it could be anything, data included
                raise KubeUnavailable(f"kubectl get secret {name} answered something other than its name")
            return True
        if _not_found(err, "secrets", name):
            return False
        raise self._failure("secret", code, err)


_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")  # a Kubernetes object name


def _not_found(err: str, resource: str, name: str) -> bool:
    """kubectl's own words for exactly this object missing - not a namespace, not a whole API
    ("the server could not find the requested resource")."""
    return f'Error from server (NotFound): {resource} "{name}" not found' in err


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _parse_external_secret(name: str, out: str) -> ExternalSecretState:
    """The documented shape (external-secrets.io/v1 ExternalSecret): kind, metadata.name,
    spec.data[].remoteRef.key and/or spec.dataFrom, spec.target.name, status.conditions[]."""
    try:
        data = json.loads(out)
    except ValueError:
        raise KubeUnavailable(f"kubectl get externalsecret {name} did not answer JSON") from None
    if not isinstance(data, dict) or data.get("kind") != "ExternalSecret":
        raise KubeUnavailable(
            f"kubectl get externalsecret {name} answered something that is not an ExternalSecret"
        )
    spec, status = _object(data.get("spec")), _object(data.get("status"))
    keys = tuple(
        _text(_object(_object(entry).get("remoteRef")).get("key")) for entry in _list(spec.get("data"))
    )
    keys += tuple(  # dataFrom: the whole secret, extracted
        _text(_object(_object(entry).get("extract")).get("key")) for entry in _list(spec.get("dataFrom"))
    )
    target = _object(spec.get("target"))
    conditions = [_object(c) for c in _list(status.get("conditions"))]
    ready = next((c for c in conditions if c.get("type") == READY), {})
    return ExternalSecretState(
        name=name,
        found=True,
        ready_status=_text(ready.get("status")),
        reason=_text(ready.get("reason")),
        message=outside_text(_text(ready.get("message")), 200),
        remote_keys=keys,
        target=_text(target.get("name")) or name,
    )


@dataclass(frozen=True)
class PartitionClusters:
    """The checks' view of the clusters (`KubeView`): each partition's by its kube context."""

    contexts: Mapping[str, str]  # partition name -> kube context
    namespace: str | None = None

    def external_secret(self, domain: SendingDomain) -> ExternalSecretState:
        context = self.contexts.get(domain.label)
        if context is None:
            raise KubeUnavailable(
                f"no kube context given for {domain.label}: pass --kube-context NAME (its cluster's)"
            )
        return Kubectl(context, self.namespace).external_secret(ENCRYPTION_KEY_EXTERNAL_SECRET)
