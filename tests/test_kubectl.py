"""`kubectl`'s answers, each as the real one gives it (a scripted stand-in on PATH): only this
object's NotFound means "missing"; anything else the cluster says is "not checked"; an answer
that is not the documented shape is never trusted, and never echoed when it could hold data."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tests.support.fake_kubectl import external_secret
from tools.kube.kubectl import Kubectl, KubeUnavailable

NAME = "email-encryption-key-current"


def _kubectl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: dict[str, tuple[int, str, str]]
) -> None:
    """`kubectl … get KIND …` answers (exit code, stdout, stderr) by KIND."""
    cases = "".join(
        f"  {kind}) printf '%s' {shlex.quote(out)}; printf '%s\\n' {shlex.quote(err)} >&2; exit {code} ;;\n"
        for kind, (code, out, err) in answers.items()
    )
    script = tmp_path / "kubectl"
    script.write_text(
        '#!/usr/bin/env bash\nwhile [ "$1" != get ]; do shift; done\nshift\n'
        f'case "$1" in\n{cases}  *) exit 64 ;;\nesac\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")


SYNCED = json.dumps(external_secret("dev-I-EmailEncryptionKey"))


def test_only_this_objects_not_found_means_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _kubectl(
        tmp_path,
        monkeypatch,
        {
            "externalsecret": (
                1,
                "",
                f'Error from server (NotFound): externalsecrets.external-secrets.io "{NAME}" not found',
            )
        },
    )
    assert Kubectl("ctx").external_secret(NAME).found is False


@pytest.mark.parametrize(
    "err",
    [
        'Error from server (NotFound): namespaces "nope" not found',
        "error: the server could not find the requested resource (NotFound)",
        "Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout",
    ],
)
def test_any_other_failure_is_not_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, err: str) -> None:
    _kubectl(tmp_path, monkeypatch, {"externalsecret": (1, "", err)})
    with pytest.raises(KubeUnavailable, match="failed \\(exit 1\\)"):
        Kubectl("ctx", "nope").external_secret(NAME)


def test_data_from_counts_as_reading_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = external_secret("dev-I-EmailEncryptionKey")
    document["spec"].pop("data")
    document["spec"]["dataFrom"] = [{"extract": {"key": "dev-I-EmailEncryptionKey"}}]
    _kubectl(
        tmp_path,
        monkeypatch,
        {"externalsecret": (0, json.dumps(document), ""), "secret": (0, f"secret/{NAME}\n", "")},
    )
    state = Kubectl("ctx").external_secret(NAME)
    assert state.remote_keys == ("dev-I-EmailEncryptionKey",) and state.synced and state.target_exists


def test_an_answer_that_is_not_the_secrets_name_is_not_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kubectl(
        tmp_path,
        monkeypatch,
        {"externalsecret": (0, SYNCED, ""), "secret": (0, "key: c2VjcmV0LWtleS1ieXRlcw==\n", "")},
    )
    with pytest.raises(KubeUnavailable) as caught:
        Kubectl("ctx").external_secret(NAME)
    assert "c2VjcmV0" not in str(caught.value) and "something other than its name" in str(caught.value)


def test_a_target_that_is_not_a_kubernetes_name_is_never_passed_to_kubectl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = external_secret("dev-I-EmailEncryptionKey")
    document["spec"]["target"]["name"] = "--server=https://evil.example"
    _kubectl(
        tmp_path,
        monkeypatch,
        {"externalsecret": (0, json.dumps(document), ""), "secret": (0, "secret/x\n", "")},
    )
    with pytest.raises(KubeUnavailable, match="not a Kubernetes name"):
        Kubectl("ctx").external_secret(NAME)
