# shellcheck shell=bash
# Sourced by the entry-point scripts: creates or refreshes the Python venv and the pinned
# node toolchain (idempotent; a stamp of each lock file's hash makes a re-run instant),
# then puts node 24 and the venv first on PATH so jsii and the CDK CLI never use the
# machine's node.

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PROJECT_ROOT

_stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

_ensure_python() {
  local venv="$PROJECT_ROOT/.venv" stamp want
  want="$(_stamp_of "$PROJECT_ROOT/requirements.txt" "$PROJECT_ROOT/requirements-dev.txt")"
  stamp="$venv/.requirements.sha256"
  # A venv whose interpreter no longer runs (a runner image or pyenv that moved its Python)
  # would still match its stamp: rebuild it rather than fail later in a synth.
  if [[ -d "$venv" ]] && ! "$venv/bin/python" -c "" >/dev/null 2>&1; then
    echo "setup: .venv's Python does not run any more (its interpreter moved or went); rebuilding .venv" >&2
    rm -rf "$venv"
  fi
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "setup: installing pinned Python dependencies into .venv" >&2
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$PROJECT_ROOT/requirements-dev.txt" 2> >(grep -v "is ignored: it is neither" >&2) || return 1
  echo "$want" >"$stamp"
}

_ensure_node() {
  local stamp want
  want="$(_stamp_of "$PROJECT_ROOT/package.json" "$PROJECT_ROOT/package-lock.json")"
  stamp="$PROJECT_ROOT/node_modules/.lock.sha256"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$PROJECT_ROOT/node_modules/.bin/node" ]]; then
    return 0
  fi
  echo "setup: installing pinned node 24 and CDK CLI into node_modules" >&2
  (cd "$PROJECT_ROOT" && npm ci --no-audit --no-fund --loglevel=error) >&2 || return 1
  echo "$want" >"$stamp"
}

# jsii's package cache lives with the venv that pins aws-cdk-lib, warmed once per lock-file
# change so that every synth finds the type index (scripts/warm-jsii-package-cache.py).
_ensure_jsii_cache() {
  local stamp want
  want="$(_stamp_of "$PROJECT_ROOT/requirements.txt" "$PROJECT_ROOT/requirements-dev.txt")"
  stamp="$JSII_RUNTIME_PACKAGE_CACHE_ROOT/.warm.sha256"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "setup: unpacking aws-cdk-lib into the jsii package cache and indexing it" >&2
  if ! mkdir -p "$JSII_RUNTIME_PACKAGE_CACHE_ROOT" 2>/dev/null || [[ ! -w "$JSII_RUNTIME_PACKAGE_CACHE_ROOT" ]]; then
    echo "setup: error: cannot write the jsii package cache $JSII_RUNTIME_PACKAGE_CACHE_ROOT;" \
      "point JSII_RUNTIME_PACKAGE_CACHE_ROOT at a writable folder, or unset it" >&2
    return 1
  fi
  (cd "$PROJECT_ROOT" && JSII_NODE="$PROJECT_ROOT/node_modules/.bin/node" \
    "$PROJECT_ROOT/.venv/bin/python" "$PROJECT_ROOT/scripts/warm-jsii-package-cache.py") || return 1
  echo "$want" >"$stamp"
}

export JSII_RUNTIME_PACKAGE_CACHE_ROOT="${JSII_RUNTIME_PACKAGE_CACHE_ROOT:-$PROJECT_ROOT/.venv/jsii-package-cache}"
# Each step writes its stamp only when it succeeded, also when sourced without `set -e`. Two
# runs starting at once on a fresh clone (a test run and amm.sh, two --help in parallel) take
# turns on the set-up, where flock exists, instead of two `npm ci` racing in one folder.
_ensure_all() { _ensure_python && _ensure_node && _ensure_jsii_cache; }
if command -v flock >/dev/null 2>&1; then
  (flock 9 && _ensure_all) 9>"$PROJECT_ROOT/.setup.lock" || return 1
else
  _ensure_all || return 1
fi

export PATH="$PROJECT_ROOT/node_modules/.bin:$PROJECT_ROOT/.venv/bin:$PATH"
export JSII_NODE="$PROJECT_ROOT/node_modules/.bin/node"
export CDK_DISABLE_CLI_TELEMETRY=true
export CDK_DISABLE_VERSION_CHECK=true
