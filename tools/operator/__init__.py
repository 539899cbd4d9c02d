"""The operator flow's steps, shared by `amm.sh` (through `tools.amm`) and the corporate CLI:
the run log, confirmations, AWS pre-flight, the rollout gates and the CDK CLI."""
