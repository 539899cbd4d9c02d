#!/usr/bin/env bash
# amm.sh: the operator's deploy wrapper for partition mail stacks.
#
# Pre-flight (tools, AWS account, registry) -> production confirmation -> op read (masked)
# -> pre-deploy CLI (Postmark domain + DKIM context) -> cdk deploy -> Postmark verification.
# Every registry fact comes from `python -m tools.partition_facts`; the shell composes no
# names. The Postmark token travels only through environment variables and the NoEcho
# CloudFormation parameter; console output and the run log are filtered so it never appears.
set -euo pipefail

readonly USAGE="usage: ./amm.sh [--profile NAME] [--region R] [--dry-run] [--yes] <infrastructure> [<partition>]

Deploys the partition mail stack of <partition> on <infrastructure>, or of every active
partition of <infrastructure> in rollout order when <partition> is omitted.

  --profile NAME  AWS profile (default: the infrastructure's profile in the registry)
  --region R      AWS region (default: the infrastructure's region in the registry)
  --dry-run       print the ordered plan (token shown as ***) and contact nothing
  --yes           skip the typed confirmation that production partitions require
  -h, --help      this text

Environment (checked before anything changes): AMM_VERIFY_DEADLINE_SECONDS (default 300)
bounds the Postmark verification poll; AMM_OP_TIMEOUT_SECONDS (default 30) bounds each
\`op read\`; AMM_LOG_DIR (default ./logs) is where the token-free run log goes;
POSTMARK_API_URL (default https://api.postmarkapp.com; plain http only to loopback)."

AMM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly AMM_ROOT

die() { # die EXIT_CODE MESSAGE: one line on stderr, exit
  echo "error: $2" >&2
  exit "$1"
}

profile="" region="" dry_run=0 assume_yes=0
positional=()
while (($#)); do
  case "$1" in
  -h | --help)
    echo "$USAGE"
    exit 0
    ;;
  --profile)
    (($# >= 2)) || die 2 "--profile needs a value; see ./amm.sh --help"
    profile="$2"
    shift 2
    ;;
  --region)
    (($# >= 2)) || die 2 "--region needs a value; see ./amm.sh --help"
    region="$2"
    shift 2
    ;;
  --dry-run)
    dry_run=1
    shift
    ;;
  --yes)
    assume_yes=1
    shift
    ;;
  -*) die 2 "unknown option $1; see ./amm.sh --help" ;;
  *)
    positional+=("$1")
    shift
    ;;
  esac
done
if ((${#positional[@]} < 1 || ${#positional[@]} > 2)); then
  echo "$USAGE" >&2
  exit 2
fi
for argument in "${positional[@]}"; do
  # An empty partition once read as "every partition" (prod included): never again.
  [[ -n "${argument//[[:space:]]/}" ]] || die 2 "an empty or blank argument was given; name the infrastructure and partition (see ./amm.sh --help)"
done
infrastructure="${positional[0]}"
only_partition="${positional[1]:-}"
has_partition=$((${#positional[@]} == 2))

# Ctrl-C or a kill: one line and the conventional exit code, never a half-told story. Each
# Python step writes atomically, so nothing it was writing is left half-written.
trap 'echo >&2; echo "error: interrupted; re-run ./amm.sh to finish (the run log says how far it got)" >&2; exit 130' INT
trap 'echo "error: terminated; re-run ./amm.sh to finish (the run log says how far it got)" >&2; exit 143' TERM
exec 3>&1 # the job's own stdout: ::add-mask:: lines go here, never through the run log

# --- set-up: the project's venv and node 22 (idempotent, quick when installed) -----------
# shellcheck source=scripts/env.sh
source "$AMM_ROOT/scripts/env.sh"
cd "$AMM_ROOT"

# --- registry facts -------------------------------------------------------------------------
declare -A FACT=()
if ((has_partition)); then
  facts_output="$(python -m tools.partition_facts "$infrastructure" "$only_partition")" || exit $?
else
  facts_output="$(python -m tools.partition_facts "$infrastructure")" || exit $?
fi
while IFS='=' read -r key value; do
  FACT["$key"]="$value"
done <<<"$facts_output"
profile="${profile:-${FACT[DEFAULT_PROFILE]}}"
region="${region:-${FACT[REGION]}}"
read -r -a partitions <<<"${FACT[PARTITIONS]}"
export AWS_PROFILE="$profile" AWS_REGION="$region" AWS_DEFAULT_REGION="$region"

# --- logging --------------------------------------------------------------------------------
log_dir="${FACT[LOG_DIR]}"
verify_deadline="${FACT[VERIFY_DEADLINE_SECONDS]}"
op_timeout="${FACT[OP_TIMEOUT_SECONDS]}"
run_id="$(date -u +%Y%m%dT%H%M%SZ)-$$"
log_file="$log_dir/amm-$run_id-$infrastructure${only_partition:+-$only_partition}.log"
TOKEN="" # the partition's Postmark token once read; redacted from every line we print

redact() { # copy stdin to stdout with the current token replaced by ***
  AMM_REDACT="$TOKEN" perl -pe 'BEGIN { $| = 1; $t = $ENV{AMM_REDACT} } s/\Q$t\E/***/g if length $t'
}

say() { # say MESSAGE: a timestamped line on stdout and in the run log
  local line
  line="[$(date -u +%H:%M:%S)] $*"
  if ((dry_run)); then echo "$line"; else echo "$line" | redact | tee -a "$log_file"; fi
}

run_step() { # run_step NAME COMMAND...: log start, end, duration; return the command's exit code
  local name="$1" started rc
  shift
  started=$SECONDS
  say "start: $name"
  set +e
  "$@" 2>&1 | redact | tee -a "$log_file"
  rc=${PIPESTATUS[0]}
  set -e
  say "end: $name (exit $rc, $((SECONDS - started)) s)"
  return "$rc"
}

plan() { # plan STEP...: dry-run output
  echo "  $*"
}

# --- pre-flight: nothing has changed yet ----------------------------------------------------
preflight() {
  local missing=() tool account
  for tool in op perl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [[ -x "$AMM_ROOT/node_modules/.bin/cdk" ]] || missing+=("cdk (node_modules)")
  if ((${#missing[@]})); then
    if [[ " ${missing[*]} " == *" op "* ]]; then
      die 1 "1Password CLI 'op' not found on PATH; install it and run 'op signin'"
    fi
    die 1 "required tools missing: ${missing[*]}; run ./scripts/synth once to install the toolchain"
  fi
  account="$(python -m tools.aws_identity --profile "$profile" --region "$region")" || exit 1
  if [[ "$account" != "${FACT[ACCOUNT]}" ]]; then
    die 1 "AWS profile '$profile' is account $account, but $infrastructure is ${FACT[ACCOUNT]}; pass --profile NAME for account ${FACT[ACCOUNT]}"
  fi
  say "pre-flight: tools present; profile $profile is account $account ($infrastructure); partitions: ${partitions[*]}"
}

confirm_production() { # confirm_production PARTITION: typed confirmation unless --yes
  local partition="$1" answer=""
  ((assume_yes)) && return 0
  printf 'Deploying production partition %s. Type its name to continue: ' "$partition" >&2
  if ! read -r answer; then
    echo >&2
    die 1 "deploying $partition needs confirmation: type '$partition' at the prompt, or pass --yes"
  fi
  [[ -t 0 ]] || echo >&2 # piped input: end the prompt line as a terminal would
  [[ "$answer" == "$partition" ]] || die 1 "confirmation did not match '$partition'; nothing was deployed"
  say "production deploy of $partition confirmed by typing its name"
}

read_token() { # read_token REFERENCE: sets TOKEN under the token rule; masks it first in GitHub Actions
  local reference="$1"
  # tools.op_token runs `op read` with a timeout, masks each line of the raw value on fd 3
  # (the job's stdout) under GitHub Actions, strips surrounding whitespace once and refuses
  # inner whitespace or control characters: the value checked is the value deployed.
  if ! TOKEN="$(python -m tools.op_token --timeout "$op_timeout" --mask-fd 3 "$reference")"; then
    TOKEN=""
    exit 1 # tools.op_token printed the one-line reason
  fi
  export AMM_SECRETS_MASKED=1 # the tools below need not mask it again
}

deploy_partition() { # deploy_partition PARTITION (runs in a subshell; exits on the first failure)
  local partition="$1"
  local stack="${FACT[STACK_$partition]}" reference="${FACT[OP_REFERENCE_$partition]}"
  if [[ "${FACT[CONFIRM_$partition]}" == "1" ]]; then
    confirm_production "$partition"
  fi
  local started=$SECONDS
  say "start: op read $reference"
  read_token "$reference" # not through run_step: TOKEN must be set in this shell
  say "end: op read $reference (exit 0, $((SECONDS - started)) s)"
  export POSTMARK_ACCOUNT_TOKEN="$TOKEN"
  run_step "pre-deploy $infrastructure $partition" \
    python -m tools.register_partition_mail_signature "$infrastructure" "$partition"
  # The token reaches the CDK CLI through the environment, never a command line.
  run_step "cdk deploy $stack" \
    node "$AMM_ROOT/scripts/cdk-with-secret-parameter.cjs" PostmarkAccountToken POSTMARK_ACCOUNT_TOKEN \
    deploy "$stack" -c "partition=$partition" --require-approval never --progress events
  run_step "verify Postmark $partition" \
    python -m tools.verify_partition_mail "$infrastructure" "$partition" --deadline "$verify_deadline"
}

print_plan() {
  echo "plan for $infrastructure (profile $profile, region $region); nothing will be contacted:"
  [[ -z "${FACT[POSTMARK_API_NOTE]}" ]] || plan "(note: ${FACT[POSTMARK_API_NOTE]})"
  plan "python -m tools.aws_identity --profile $profile --region $region   # expect account ${FACT[ACCOUNT]}"
  local partition
  for partition in "${partitions[@]}"; do
    echo "partition $partition:"
    if [[ "${FACT[CONFIRM_$partition]}" == "1" ]]; then
      if ((assume_yes)); then plan "(production: confirmed by --yes)"; else plan "(production: type '$partition' to confirm)"; fi
    fi
    plan "python -m tools.op_token --timeout $op_timeout ${FACT[OP_REFERENCE_$partition]}   # op read, the token rule, masked"
    plan "POSTMARK_ACCOUNT_TOKEN=*** python -m tools.register_partition_mail_signature $infrastructure $partition"
    plan "cdk deploy ${FACT[STACK_$partition]} -c partition=$partition --require-approval never --progress events --parameters PostmarkAccountToken=***   # via scripts/cdk-with-secret-parameter.cjs: the token stays off every command line"
    plan "POSTMARK_ACCOUNT_TOKEN=*** python -m tools.verify_partition_mail $infrastructure $partition --deadline $verify_deadline"
  done
}

if ((dry_run)); then
  print_plan
  exit 0
fi

mkdir -p "$log_dir"
say "amm.sh $infrastructure ${only_partition:-(all active partitions)}; log: $log_file"
[[ -z "${FACT[POSTMARK_API_NOTE]}" ]] || say "note: ${FACT[POSTMARK_API_NOTE]}"
export POSTMARK_API_URL_ANNOUNCED=1 # said once here; the tools below need not repeat it
preflight

declare -A outcome=()
final_rc=0
for partition in "${partitions[@]}"; do
  started=$SECONDS
  set +e
  (
    set -e
    deploy_partition "$partition"
  )
  rc=$?
  set -e
  if ((rc == 0)); then
    outcome["$partition"]="ok ($((SECONDS - started)) s)"
  else
    outcome["$partition"]="FAILED, exit $rc ($((SECONDS - started)) s)"
    ((final_rc == 0)) && final_rc=$rc
  fi
done

say "summary for $infrastructure:"
for partition in "${partitions[@]}"; do
  say "$(printf '  %-8s %-22s %s' "$partition" "${FACT[STACK_$partition]}" "${outcome[$partition]}")"
done
exit "$final_rc"
