"""A stand-in for `kubectl`: `kubectl --context C [--request-timeout T] [--namespace N] get
(externalsecret NAME -o json | secret NAME -o name)` answered from a JSON cluster file, with
kubectl's own error lines for an unknown context, a missing resource type and NotFound.

The cluster file (rewritten by a test between runs) is
`{context: {"namespace": "default", "externalSecrets": {name: object}, "secrets": [names],
"noCrd": bool, "hangSeconds": n}}`; each call is appended to `calls.log` beside it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCRIPT = r"""
import json, sys, time
from pathlib import Path
cluster_file = Path(__CLUSTER__)
args = sys.argv[1:]
with open(cluster_file.with_name("calls.log"), "a") as log:
    log.write(json.dumps(args) + "\n")
options, rest = {}, []
while args:
    word = args.pop(0)
    if word in ("--context", "--namespace", "--request-timeout", "--output", "-o", "-n"):
        options[word.lstrip("-")] = args.pop(0)
    else:
        rest.append(word)
clusters = json.loads(cluster_file.read_text())
context = options.get("context")
if context not in clusters:
    print(f'Error in configuration: context was not found for specified context: {context}', file=sys.stderr)
    sys.exit(1)
cluster = clusters[context]
time.sleep(cluster.get("hangSeconds", 0))
namespace = options.get("namespace") or options.get("n") or cluster.get("namespace", "default")
if cluster.get("namespace", "default") != namespace:
    found_secrets, found_external = [], {}
else:
    found_secrets, found_external = cluster.get("secrets", []), cluster.get("externalSecrets", {})
verb, kind, name = rest
output = options.get("output") or options.get("o")
if kind == "externalsecret":
    if cluster.get("noCrd"):
        print('error: the server doesn\'t have a resource type "externalsecret"', file=sys.stderr)
        sys.exit(1)
    if name not in found_external:
        print(f'Error from server (NotFound): externalsecrets.external-secrets.io "{name}" not found', file=sys.stderr)
        sys.exit(1)
    assert output == "json", output
    print(json.dumps(found_external[name]))
elif kind == "secret":
    assert output == "name", "the Secret's data is never asked for"
    if name not in found_secrets:
        print(f'Error from server (NotFound): secrets "{name}" not found', file=sys.stderr)
        sys.exit(1)
    print(f"secret/{name}")
else:
    sys.exit(64)
"""


def write_fake_kubectl(bin_dir: Path, cluster_file: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "kubectl"
    script.write_text(f"#!{sys.executable}\n" + SCRIPT.replace("__CLUSTER__", repr(str(cluster_file))))
    script.chmod(0o755)
    if not cluster_file.exists():
        cluster_file.write_text("{}")
    return script


def external_secret(
    remote_key: str,
    *,
    name: str = "email-encryption-key-current",
    ready: str = "True",
    reason: str = "SecretSynced",
    message: str = "secret synced",
) -> dict[str, Any]:
    """An ExternalSecret as the External Secrets Operator reports it (external-secrets.io/v1)."""
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "secretStoreRef": {"name": "aws-secrets-manager", "kind": "ClusterSecretStore"},
            "target": {"name": name},
            "data": [{"secretKey": "key", "remoteRef": {"key": remote_key, "version": "AWSCURRENT"}}],
        },
        "status": {"conditions": [{"type": "Ready", "status": ready, "reason": reason, "message": message}]},
    }


def synced_cluster(remote_key: str, *, context: str = "dev-cluster") -> dict[str, Any]:
    """A cluster where ESO has projected `remote_key`: the ExternalSecret synced, its Secret there."""
    return {
        context: {
            "namespace": "default",
            "externalSecrets": {"email-encryption-key-current": external_secret(remote_key)},
            "secrets": ["email-encryption-key-current"],
        }
    }


def write_cluster(cluster_file: Path, clusters: dict[str, Any]) -> None:
    cluster_file.write_text(json.dumps(clusters))
