"""Synthesize the app in-process exactly as the CDK CLI would (cdk.json + cdk.context.json
context), once per test session; tests read the templates and the validation report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_lib.context_store import PROJECT_ROOT


def project_context() -> dict[str, Any]:
    context: dict[str, Any] = dict(json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"])
    context.update(json.loads((PROJECT_ROOT / "cdk.context.json").read_text()))
    # What the CDK CLI adds, so in-process templates are byte-identical to `cdk synth`.
    context.update({"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True})
    return context


@dataclass
class Synthesized:
    outdir: Path

    def stack_names(self) -> list[str]:
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        return [
            name
            for name, artifact in manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        ]

    def template_path(self, stack_name: str) -> Path:
        return self.outdir / f"{stack_name}.template.json"

    def template(self, stack_name: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.template_path(stack_name).read_text())
        return result

    def templates(self) -> dict[str, dict[str, Any]]:
        return {name: self.template(name) for name in self.stack_names()}

    def validation_report(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return result


def synthesize(outdir: Path, extra_context: dict[str, Any] | None = None) -> Synthesized:
    from apps.partition_mail import build_app, new_app

    context = project_context()
    context.update(extra_context or {})
    app = new_app(outdir=str(outdir), context=context)
    build_app(app)
    app.synth()
    return Synthesized(outdir)
