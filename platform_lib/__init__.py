"""The project's vocabulary: registry, names and placement.

Plain Python on purpose (no CDK import) so the operator tools start without jsii.
"""
