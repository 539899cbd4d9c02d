#!/usr/bin/env bash
# amm.sh: the operator's deploy wrapper for partition mail stacks and the Root stack.
#
# It sets up the project's toolchain (the venv, node 24, the pinned CDK CLI) and hands over to
# `python -m tools.amm`, the operator flow: registry and settings checks, the rollout gates
# (Root placeholder, delegation, Root unchanged, failed first deploy, cascade), the production
# diff and typed confirmation, `op read` (masked, the token rule), pre-deploy, `cdk deploy`
# with the token off every command line, Postmark verification, a token-free run log.
# `./amm.sh --help` lists the options.
set -euo pipefail

AMM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly AMM_ROOT

# shellcheck source=scripts/env.sh
source "$AMM_ROOT/scripts/env.sh"
cd "$AMM_ROOT"
exec python -m tools.amm "$@"
