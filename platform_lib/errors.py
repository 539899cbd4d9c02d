"""Errors a user can act on: each message names what was wrong and the valid choices."""

from __future__ import annotations


class PlatformError(ValueError):
    """Base class for registry, naming and placement errors (one-line, user-facing)."""


class UnknownInfrastructure(PlatformError):
    """The infrastructure is not in the registry."""


class UnknownPartition(PlatformError):
    """The partition is not in the registry, or not on the given infrastructure."""


class SuspendedPartition(UnknownPartition):
    """The partition exists but is suspended where an active one is needed."""


class InvalidTenantSlug(PlatformError):
    """A tenant slug breaks DNS label rules or takes a reserved name."""
