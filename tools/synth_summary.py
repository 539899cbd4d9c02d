"""Print one row per synthesized stack: name, account, resource count, exports.

python -m tools.synth_summary [CDK_OUT_DIR]   (default: cdk.out)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tools.cli.arguments import ToolArgumentParser
from tools.cli.contract import ExitStatus, UsageError
from tools.cli.entry import exit_status, run_tool

Row = tuple[str, str, int, list[str]]


def summarize(outdir: Path) -> list[Row]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    rows = []
    for name, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        template = json.loads((outdir / artifact["properties"]["templateFile"]).read_text())
        account = artifact["environment"].removeprefix("aws://").split("/")[0]
        exports = sorted(o["Export"]["Name"] for o in template.get("Outputs", {}).values() if "Export" in o)
        rows.append((name, account, len(template.get("Resources", {})), exports))
    return rows


def render(rows: list[Row]) -> str:
    width = max([len("stack")] + [len(r[0]) for r in rows])
    lines = [f"{'stack':<{width}}  {'account':<12}  {'resources':>9}  exports"]
    for name, account, count, exports in rows:
        lines.append(f"{name:<{width}}  {account:<12}  {count:>9}  {len(exports)}")
        lines.extend(f"{'':<{width}}  {'':<12}  {'':>9}    {export}" for export in exports)
    return "\n".join(lines)


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog="python -m tools.synth_summary",
        description="Print one row per synthesized stack of a cloud assembly: account, resources, exports.",
    )
    parser.add_argument(
        "outdir", nargs="?", type=Path, default=Path("cdk.out"), help="the cloud assembly (default cdk.out)"
    )
    return parser


def _summary(argv: Sequence[str] | None) -> int:
    outdir: Path = _parser().parse_args(argv).outdir
    if not (outdir / "manifest.json").is_file():
        raise UsageError(f"{outdir}/manifest.json not found; run scripts/synth first")
    print(render(summarize(outdir)))
    return ExitStatus.OK


def main(argv: Sequence[str] | None = None) -> int:
    return exit_status(lambda: _summary(argv))


if __name__ == "__main__":
    run_tool(main)
