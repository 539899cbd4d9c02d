"""The check catalogue (`tools.checks.catalogue`) and its seams; importing this package
registers every check, in the order drift reports them: Postmark, DNS, across seams, the
DKIM rotation, AWS, the cluster."""

from tools.checks import aws, cross, dns, kube, postmark, rotation  # noqa: F401 (registration)
