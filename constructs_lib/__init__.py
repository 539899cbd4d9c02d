"""Reusable CDK constructs (named `constructs_lib` so it never shadows `constructs`)."""
