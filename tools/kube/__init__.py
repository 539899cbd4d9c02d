"""Kubernetes, read through `kubectl`: whether External Secrets Operator projects a
partition's encryption key into its cluster."""
