"""Print one row per synthesized stack: name, account, resource count, exports.

Usage: python -m tools.synth_summary [CDK_OUT_DIR]   (default: cdk.out)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def summarize(outdir: Path) -> list[tuple[str, str, int, list[str]]]:
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


def render(rows: list[tuple[str, str, int, list[str]]]) -> str:
    width = max([len("stack")] + [len(r[0]) for r in rows])
    lines = [f"{'stack':<{width}}  {'account':<12}  {'resources':>9}  exports"]
    for name, account, count, exports in rows:
        lines.append(f"{name:<{width}}  {account:<12}  {count:>9}  {len(exports)}")
        lines.extend(f"{'':<{width}}  {'':<12}  {'':>9}    {export}" for export in exports)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    outdir = Path(argv[0] if argv else "cdk.out")
    if not (outdir / "manifest.json").is_file():
        print(f"error: {outdir}/manifest.json not found; run scripts/synth first", file=sys.stderr)
        return 2
    print(render(summarize(outdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
