"""The docs are part of the product: their commands, options, paths, names and links must be
true of the code. Documented commands are run with `--help` (in parallel, one process each)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from platform_lib import naming
from platform_lib.context_store import PROJECT_ROOT
from platform_lib.postmark import postmark_credential_op_reference
from platform_lib.registry import (
    INFRASTRUCTURES,
    PLATFORM_ROOT_ACCOUNT_PLACEHOLDER,
    Infrastructure,
    Partition,
    PartitionStatus,
    PostmarkAccount,
    active_partitions,
)
from tests.synth import Synthesized

README = PROJECT_ROOT / "README.md"
CHANGELOG = PROJECT_ROOT / "CHANGELOG.md"
RUNBOOK = PROJECT_ROOT / "docs" / "operator-runbook.md"
SECRET_PATTERN = PROJECT_ROOT / "docs" / "secret-delivery-pattern.md"
DECISIONS = PROJECT_ROOT / "docs" / "decisions"
DOCS = sorted([README, CHANGELOG, *(PROJECT_ROOT / "docs").rglob("*.md")])

AMM = "./amm.sh"
AMM_PLAN = "./amm.sh plan"
MODULE_COMMAND = re.compile(r"python -m ((?:tools|bench)\.[a-z_]+)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")
FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`]+)`")
# Repository paths as the docs write them; placeholders ({partition}, <run>, *, …) are not paths.
PATH_TOKEN = re.compile(
    r"^(\./)?(amm\.sh|app\.py|cdk\.json|cdk\.context\.json|pyproject\.toml|package\.json"
    r"|\.python-version|requirements(-dev|-drift|-audit)?\.txt|(scripts|tools|platform_lib|stacks|constructs_lib|apps|instances"
    r"|tests|bench|docs|\.github|\.ci)(/\S*)?)$"
)
PLACEHOLDER_CHARS = set("{}<>*…")
PROJECT_PACKAGES = ("platform_lib", "constructs_lib", "stacks", "apps", "tools", "bench")
ENV_VAR = re.compile(r"^((?:AMM|POSTMARK|GITHUB)_[A-Z_]+)$")
KEEP_A_CHANGELOG_TYPES = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
INHERITED_DECISIONS = ("017", "018", "019", "020", "021", "022", "026")


# --- reading Markdown -----------------------------------------------------------------------


@cache
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _all_text() -> str:
    return "\n".join(_text(doc) for doc in DOCS)


def _block_lines(text: str) -> list[str]:
    """Lines of fenced code blocks, without trailing `# comments`."""
    return [
        re.sub(r"\s+#\s.*$", "", line).strip()
        for block in FENCE.findall(text)
        for line in block.splitlines()
        if line.strip()
    ]


def _inline_code(text: str) -> list[str]:
    """Inline code spans outside fenced blocks; a span may wrap across lines."""
    return [" ".join(span.split()) for span in INLINE_CODE.findall(FENCE.sub("", text))]


def _code(path: Path) -> list[str]:
    """Everything a reader might type from this doc: inline spans and code-block lines."""
    return _inline_code(_text(path)) + _block_lines(_text(path))


def _all_code() -> list[str]:
    return [code for doc in DOCS for code in _code(doc)]


def _commands_after(code: str, needle: str) -> list[str]:
    """The argument text following each occurrence of `needle`, up to a shell separator."""
    return [re.split(r"&&|\|\||[|;]", rest)[0] for rest in code.split(needle)[1:]]


def documented_modules() -> list[str]:
    return sorted({m for code in _all_code() for m in MODULE_COMMAND.findall(code)})


def documented_tools() -> list[str]:
    return [m for m in documented_modules() if m.startswith("tools.")]


# --- running --help -------------------------------------------------------------------------


def _help_commands() -> dict[str, tuple[str, ...]]:
    commands: dict[str, tuple[str, ...]] = {
        module: (sys.executable, "-m", module, "--help") for module in documented_tools()
    }
    commands[AMM] = (AMM, "--help")
    commands[AMM_PLAN] = (AMM, "plan", "--help")
    return commands


@cache
def help_results() -> dict[str, subprocess.CompletedProcess[str]]:
    commands = _help_commands()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def run(argv: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=120, env=env
        )

    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return dict(zip(commands, pool.map(run, commands.values()), strict=True))


def _help_text(name: str) -> str:
    result = help_results()[name]
    return result.stdout + result.stderr


# --- quick start and CI ---------------------------------------------------------------------


def quick_start_commands() -> list[str]:
    block = re.search(r"^## Quick start\n.*?^```sh\n(.*?)^```", _text(README), re.S | re.M)
    assert block is not None, "README has a ## Quick start section with a ```sh block"
    return _block_lines(f"```\n{block.group(1)}```\n")


def test_quick_start_commands_are_the_projects_executable_scripts() -> None:
    commands = quick_start_commands()
    assert commands == ["./scripts/synth", "./scripts/test"]
    for command in commands:
        script = PROJECT_ROOT / command
        assert script.is_file(), f"{command} does not exist"
        assert os.access(script, os.X_OK), f"{command} is not executable"


def test_ci_runs_the_readmes_test_command() -> None:
    (test_command,) = [c for c in quick_start_commands() if Path(c).name == "test"]
    ci = _text(PROJECT_ROOT / ".ci" / "run")
    assert re.search(rf"^\s*(exec\s+)?{re.escape(test_command)}(\s|$)", ci, re.M), (
        f".ci/run does not run the README's test command {test_command}"
    )


# --- commands, options, paths, names --------------------------------------------------------


def test_every_documented_module_exists() -> None:
    modules = documented_modules()
    assert {
        "tools.register_partition_mail_signature",
        "tools.verify_partition_mail",
        "tools.validate_exit",
        "tools.runtime_platform_drift",
        "tools.corporate_drift",
    } <= set(modules)
    for module in modules:
        assert (PROJECT_ROOT / (module.replace(".", "/") + ".py")).is_file(), module


def test_every_documented_command_prints_its_usage() -> None:
    for name, result in help_results().items():
        assert result.returncode in (0, 2), (name, result.returncode, result.stderr[-500:])
        assert "usage:" in result.stdout + result.stderr, (name, result.stdout[-500:], result.stderr[-500:])


def test_documented_help_exit_status_of_the_pre_deploy_cli() -> None:
    text = " ".join(_all_text().split())
    claim = re.search(r"`--help` exits (\d) everywhere, the pre-deploy CLI's included", text)
    assert claim is not None, "ADR-0026 states the pre-deploy CLI's --help exit status"
    result = help_results()["tools.register_partition_mail_signature"]
    assert result.returncode == int(claim.group(1))


@pytest.mark.parametrize("name", [*documented_tools(), AMM, AMM_PLAN])
def test_options_written_after_a_command_are_in_its_help(name: str) -> None:
    needle = f"python -m {name}" if name.startswith("tools.") else name
    options = {
        option
        for code in _all_code()
        for rest in _commands_after(code, needle)
        if name != AMM or not rest.lstrip().startswith("plan")  # `./amm.sh plan` has its own --help
        for option in OPTION.findall(rest)
    }
    help_text = _help_text(name)
    missing = sorted(option for option in options if option not in help_text)
    assert not missing, f"{name}: documented but not in --help: {missing}"


def test_options_named_in_prose_exist() -> None:
    """A span that is only an option (`--yes`, `--deadline SECONDS`) must be an option of a
    documented command, or one `amm.sh` passes on (to the CDK CLI: `tools/aws/cdk.py`, the operator)
    or `scripts/test` passes to pytest."""
    passed_on = [
        PROJECT_ROOT / "amm.sh",
        PROJECT_ROOT / "scripts" / "cdk-with-secret-parameter.cjs",
        PROJECT_ROOT / "scripts" / "test",  # its pytest options
    ]
    passed_on += [
        PROJECT_ROOT / "tools" / "aws" / "cdk.py",
        *sorted((PROJECT_ROOT / "tools" / "operator").glob("*.py")),
    ]
    known = "\n".join(_help_text(name) for name in help_results()) + "".join(_text(p) for p in passed_on)
    spans = {code.split()[0] for doc in DOCS for code in _inline_code(_text(doc)) if code.startswith("--")}
    missing = sorted(
        option for span in spans for option in OPTION.findall(span) if not re.search(rf"{option}\b", known)
    )
    assert not missing, f"options named in the docs that no command has: {missing}"


def _docstrings(path: Path) -> list[str]:
    """The module's, its classes' and its functions' docstrings."""
    tree = ast.parse(_text(path))
    nodes = [
        tree,
        *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)),
    ]
    return [doc for node in nodes if (doc := ast.get_docstring(node))]


CODE_WITH_DOCSTRINGS = [
    *sorted(
        p
        for place in (*PROJECT_PACKAGES, "scripts", "instances", "tests")
        for p in (PROJECT_ROOT / place).rglob("*.py")
        if "__pycache__" not in p.parts
    ),
    PROJECT_ROOT / "app.py",
]


def test_paths_named_in_docstrings_exist() -> None:
    """A docstring is documentation too: every repository path it names in backquotes exists."""
    for source in CODE_WITH_DOCSTRINGS:
        for doc in _docstrings(source):
            for span in _inline_code(doc):
                for word in span.split():
                    token = word.rstrip(",.;:)").lstrip("(")
                    if PLACEHOLDER_CHARS & set(token) or not PATH_TOKEN.match(token):
                        continue
                    assert (PROJECT_ROOT / token).exists(), (
                        f"{source.relative_to(PROJECT_ROOT)}: {token} does not exist"
                    )


def test_counts_the_docs_state_match_the_code(synthesized: Synthesized) -> None:
    """A range of decision records names the last record there is, and a claim about every
    stack ("all seven stacks") the number the app synthesizes; only docstrings and docs."""
    records = sorted(
        int(p.name[:4]) for p in (PROJECT_ROOT / "docs" / "decisions").glob("[0-9][0-9][0-9][0-9]-*.md")
    )
    assert records == list(range(1, len(records) + 1)), "decision records are numbered without gaps"
    words = {
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
    }
    texts = [(doc, _text(doc)) for doc in DOCS] + [
        (source, "\n".join(_docstrings(source))) for source in CODE_WITH_DOCSTRINGS
    ]
    for doc, raw in texts:
        text = " ".join(raw.split())
        for last in re.findall(r"ADR-0001 to ADR-(\d{4})", text):
            assert int(last) == records[-1], (
                f"{doc.relative_to(PROJECT_ROOT)}: ADR-0001 to ADR-{last}, the last is {records[-1]:04d}"
            )
        for count in re.findall(r"\ball (\w+) stacks\b", text):
            number = words.get(count.lower(), int(count) if count.isdigit() else None)
            stacks = len(synthesized.stack_names())
            assert number == stacks, (
                f"{doc.relative_to(PROJECT_ROOT)}: 'all {count} stacks', the app has {stacks}"
            )


def test_documented_paths_exist() -> None:
    for doc in DOCS:
        for code in _code(doc):
            for word in code.split():
                token = word.rstrip(",.;:)").lstrip("(")
                if PLACEHOLDER_CHARS & set(token) or not PATH_TOKEN.match(token):
                    continue
                path = PROJECT_ROOT / token
                assert path.exists(), f"{doc.relative_to(PROJECT_ROOT)}: {token} does not exist"
                if token.startswith("./"):
                    assert os.access(path, os.X_OK), (
                        f"{doc.relative_to(PROJECT_ROOT)}: {token} is not executable"
                    )


def test_documented_python_names_exist() -> None:
    """`platform_lib.placement.sending_domain_placement(...)`-style names: the module file
    exists and defines the attribute (checked in the source, so no CDK import is needed)."""
    dotted = re.compile(rf"^((?:{'|'.join(PROJECT_PACKAGES)})(?:\.[A-Za-z_]\w*)+)")
    for doc in DOCS:
        for code in _code(doc):
            match = dotted.match(code)
            if not match:
                continue
            parts = match.group(1).split(".")
            depth = max(i for i in range(1, len(parts) + 1) if _module_file(parts[:i]) is not None)
            module = _module_file(parts[:depth])
            assert module is not None
            for attribute in parts[depth : depth + 1]:
                assert re.search(
                    rf"^\s*(def|class)\s+{attribute}\b|^{attribute}\b\s*[:=]", _text(module), re.M
                ), f"{doc.relative_to(PROJECT_ROOT)}: {match.group(1)}: {module.name} has no {attribute}"


def _module_file(parts: list[str]) -> Path | None:
    base = PROJECT_ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_documented_environment_variables_are_read_by_the_code() -> None:
    sources = [PROJECT_ROOT / "amm.sh", *(PROJECT_ROOT / "tools").rglob("*.py")]
    sources += [*(PROJECT_ROOT / "platform_lib").rglob("*.py"), *(PROJECT_ROOT / ".github").rglob("*.yml")]
    code_text = "\n".join(_text(path) for path in sources)
    names = {m.group(1) for code in _all_code() if (m := ENV_VAR.match(code))}
    assert "AMM_VERIFY_DEADLINE_SECONDS" in names
    missing = sorted(name for name in names if name not in code_text)
    assert not missing, f"environment variables in the docs that no code reads: {missing}"


def test_composed_names_in_the_docs_are_the_codes() -> None:
    """The docs write names with `{infrastructure}` and `{partition}` placeholders; composing
    them with `platform_lib.naming` must give the same strings."""
    generic = Partition("{partition}", PartitionStatus.ACTIVE, "{infrastructure}", PostmarkAccount.NON_PROD)
    runbook, secrets, readme = _text(RUNBOOK), _text(SECRET_PATTERN), _text(README)
    assert naming.stack_name(generic) in runbook
    assert naming.stack_name(generic) in readme
    assert naming.context_key(generic) in runbook
    assert naming.context_key(generic) in readme
    assert naming.ROOT_DNS_STACK_NAME in runbook
    assert naming.ROOT_DELEGATION_ROLE_NAME in runbook
    assert naming.POSTMARK_ACCOUNT_TOKEN_PARAMETER in secrets
    for name in (
        naming.postmark_account_token_secret_name(generic),
        naming.encryption_key_secret_name(generic),
        naming.encryption_key_fallback_role_name(generic),
        naming.export_name(generic, naming.ExportKey.EMAIL_POSTMARK_ACCOUNT_TOKEN_ARN),
        naming.export_name(generic, naming.ExportKey.EMAIL_ENCRYPTION_KEY_ARN),
        naming.export_name(generic, naming.ExportKey.EMAIL_ENCRYPTION_KEY_FALLBACK_ROLE_ARN),
    ):
        assert name in secrets, name
    stack_source = _text(PROJECT_ROOT / "stacks" / "purpose" / "partition_email.py")
    key_length = re.search(r"^ENCRYPTION_KEY_LENGTH = (\d+)$", stack_source, re.M)
    assert key_length is not None
    assert f"{key_length.group(1)} characters" in secrets


def test_verification_timing_in_the_runbook_is_the_tools() -> None:
    from tools.postmark import verification as domain_verification

    runbook = " ".join(_text(RUNBOOK).split())
    first, cap = domain_verification.FIRST_WAIT_SECONDS, domain_verification.MAX_WAIT_SECONDS
    assert f"after {first:g} s, {2 * first:g} s, {4 * first:g} s" in runbook
    assert f"at most {cap:g} s apart" in runbook
    deadline = re.search(r"AMM_VERIFY_DEADLINE_SECONDS \(default (\d+)\)", _help_text(AMM))
    assert deadline is not None
    assert f"`AMM_VERIFY_DEADLINE_SECONDS` under `amm.sh` (default {deadline.group(1)})" in runbook
    assert f"(default {domain_verification.DEFAULT_DEADLINE_SECONDS:g})" in _help_text(
        "tools.verify_partition_mail"
    )


# --- registry tables ------------------------------------------------------------------------


def _table_row(text: str, first_cell: str) -> str:
    rows = [line.strip() for line in text.splitlines() if line.strip().startswith(f"| {first_cell} |")]
    assert len(rows) == 1, f"one table row for {first_cell}, found {len(rows)}"
    return rows[0]


@pytest.mark.parametrize("infrastructure", INFRASTRUCTURES, ids=lambda i: i.name)
def test_runbook_profile_table_matches_the_registry(infrastructure: Infrastructure) -> None:
    row = _table_row(_text(RUNBOOK), f"`{infrastructure.name}`")
    if infrastructure.account == PLATFORM_ROOT_ACCOUNT_PLACEHOLDER:
        assert "placeholder" in row and PLATFORM_ROOT_ACCOUNT_PLACEHOLDER in row
    else:
        assert f"| {infrastructure.account} |" in row
    assert f"`{infrastructure.default_profile}`" in row
    for partition in active_partitions():
        assert (f"`{partition.name}`" in row) == (partition.infrastructure == infrastructure.name)


@pytest.mark.parametrize("partition", active_partitions(), ids=lambda p: p.name)
def test_runbook_1password_table_matches_the_registry(partition: Partition) -> None:
    row = _table_row(_text(RUNBOOK), f"`{partition.name}`")
    assert f"`{postmark_credential_op_reference(partition.name)}`" in row
    assert f"| {partition.postmark_account.value} |" in row


# --- links, decision records, changelog -----------------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6} (.+)$", FENCE.sub("", _text(path)), re.M)
    return {_slug(heading) for heading in headings}


def test_relative_links_resolve() -> None:
    link = re.compile(r"\]\((?!https?://|mailto:)([^)\s]+)\)")
    for doc in DOCS:
        for target in link.findall(FENCE.sub("", _text(doc))):
            file_part, _, fragment = target.partition("#")
            linked = (doc.parent / file_part).resolve() if file_part else doc
            where = f"{doc.relative_to(PROJECT_ROOT)} links to {target}"
            assert linked.exists(), f"{where}: no such file"
            if fragment:
                assert fragment in _anchors(linked), f"{where}: no such heading"


def test_decision_index_lists_every_record_and_each_is_complete() -> None:
    index = _text(DECISIONS / "README.md")
    records = sorted(DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert len(records) >= 19
    listed = re.findall(r"\]\(([^)]+\.md)\)", index)
    assert sorted(listed) == [record.name for record in records], "the index lists each record once"
    for record in records:
        text = _text(record)
        number = record.name[:4]
        assert text.startswith(f"# ADR-{number}"), f"{record.name}: title must start with ADR-{number}"
        assert f"[ADR-{number}]({record.name})" in index
        assert re.search(r"^\* Status: (proposed|accepted|superseded|deprecated)\b", text, re.M), record.name
        assert re.search(r"^\* Date: \d{4}-\d{2}-\d{2}$", text, re.M), record.name
        positions = [text.find(f"\n## {section}\n") for section in ("Context", "Decision", "Consequences")]
        assert -1 not in positions and positions == sorted(positions), f"{record.name}: sections"
    for dq in INHERITED_DECISIONS:
        (record,) = [r for r in records if f"-dq-r1-{dq}-" in r.name]
        assert f"DQ-R1-{dq}" in _text(record).splitlines()[0]
        assert f"DQ-R1-{dq}" in index


def test_changelog_keeps_a_changelog_form() -> None:
    changelog = _text(CHANGELOG)
    assert changelog.startswith("# Changelog\n")
    assert "https://keepachangelog.com/" in changelog
    unreleased = re.search(r"^## \[Unreleased\]\n(.*?)(?=^## |\Z)", changelog, re.S | re.M)
    assert unreleased is not None, "an ## [Unreleased] section"
    types = re.findall(r"^### (.+)$", unreleased.group(1), re.M)
    assert "Added" in types
    assert set(types) <= KEEP_A_CHANGELOG_TYPES, types
    assert re.search(r"^### Added\n\n- ", unreleased.group(1), re.M), "Added lists items"


def test_runbook_hostile_postmark_table_is_the_test_catalogue() -> None:
    """The runbook's Postmark table lists exactly the behaviours the hostile tests run, each
    with the situation the hostile server stages."""
    from tests.support.hostile_postmark import BEHAVIOURS

    section = re.search(r"^### Postmark answering badly\n(.*?)^### ", _text(RUNBOOK), re.S | re.M)
    assert section is not None
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.group(1).splitlines()
        if line.startswith("| `")
    ]
    assert [(row[0], row[1]) for row in rows] == [(f"`{b.name}`", b.situation) for b in BEHAVIOURS]
    assert all(row[2] for row in rows)
