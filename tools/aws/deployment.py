"""What AWS says about deployed sending domains, each read in its own infrastructure's account.

`InfrastructureSessions` opens one boto3 session per infrastructure - with the profile the
operator named for it, else the registry's default profile - and checks it lands in that
infrastructure's account before anything is read. `Deployments` answers the checks' AWS
probes (`tools.checks.probes.AwsView`): a stack's description, its secrets, and the
delegation set of the hosted zone it created (found through its exported zone id).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from platform_lib.registry import Infrastructure, get_infrastructure
from platform_lib.sending_domain import SendingDomain
from tools.aws.hosted_zone import ZoneUnknown, stack_zone_delegation_set
from tools.aws.session import AWS_ERRORS, AwsProblem, caller_account, client, error_code, explain, session_for
from tools.runtime.once import Once


def template_object(body: Any) -> dict[str, Any] | None:
    """A deployed template as CloudFormation's get_template gives it (a JSON string, or an
    object already), as plain dicts like a synthesized one; None when it is not a JSON
    object (a template this project never writes)."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, Mapping):
        return None
    plain: dict[str, Any] = json.loads(json.dumps(body))
    return plain


def _absent(exc: BaseException) -> bool:
    """CloudFormation's answer for a stack that does not exist."""
    return error_code(exc) == "ValidationError" and "does not exist" in str(exc)


class TemplateNotJson(AwsProblem):
    """The deployed template is not a JSON object (a template this project never writes)."""


def deployed_template(cloudformation: Any, name: str, profile: str | None) -> dict[str, Any] | None:
    """The template stack `name` was deployed with, as plain dicts (None: no such stack);
    AwsProblem when it cannot be read or is not a JSON object (one this project never writes)."""
    try:
        body = cloudformation.get_template(StackName=name, TemplateStage="Original").get("TemplateBody")
    except AWS_ERRORS as exc:
        if _absent(exc):
            return None
        raise explain(exc, profile, f"reading the template of {name}") from None
    plain = template_object(body)
    if plain is None:
        raise TemplateNotJson(f"the deployed template of {name} is not a JSON object; redeploy it")
    return plain


def described_stack(cloudformation: Any, name: str, profile: str | None) -> dict[str, Any] | None:
    """The one stack CloudFormation describes as `name` (None: it does not exist). An answer of
    another shape - no stack, several, another name, no status - is AwsProblem: a gate must
    never read a state from a stack it did not ask for."""
    try:
        answer = cloudformation.describe_stacks(StackName=name)
    except AWS_ERRORS as exc:
        if _absent(exc):
            return None
        raise explain(exc, profile, f"describing stack {name}") from None
    stacks = answer.get("Stacks") if isinstance(answer, Mapping) else None
    if (
        not isinstance(stacks, list)
        or len(stacks) != 1
        or not isinstance(stacks[0], Mapping)
        or stacks[0].get("StackName") != name
        or not isinstance(stacks[0].get("StackStatus"), str)
    ):
        count = len(stacks) if isinstance(stacks, list) else "no list of"
        raise AwsProblem(
            f"CloudFormation described stack {name} as {count} stacks, not one of that name with a "
            "status; nothing was changed - re-run, and check the stack in the console if it repeats"
        )
    return dict(stacks[0])


class WrongAccount(AwsProblem):
    """The profile works, but for another account than the infrastructure's."""


def checked_session(profile: str, infra: Infrastructure, fix: str) -> Any:
    """A session of `profile` that is `infra`'s account; AwsProblem naming the profile and
    `fix` (how to name the right one) otherwise."""
    session = session_for(profile, infra.region)
    found = caller_account(session, profile)
    if found != infra.account:
        raise WrongAccount(
            f"AWS profile '{profile}' is account {found}, but {infra.name} is {infra.account}; {fix}"
        )
    return session


class InfrastructureSessions:
    """Sessions by infrastructure name, opened once and checked to be the right account."""

    def __init__(self, profiles: Mapping[str, str] | None = None) -> None:
        self._profiles = dict(profiles or {})
        self._sessions: dict[str, Any] = {}
        self._lock = threading.Lock()

    def remember(self, infrastructure: str, session: Any) -> None:
        """A session opened and checked elsewhere (the run's pre-flight)."""
        with self._lock:
            self._sessions[infrastructure] = session

    def profile_of(self, infrastructure: str) -> str:
        return self._profiles.get(infrastructure) or get_infrastructure(infrastructure).default_profile

    def of(self, infrastructure: str) -> tuple[Any, str]:
        """(session, profile) for `infrastructure`; AwsProblem naming the profile otherwise."""
        profile = self.profile_of(infrastructure)
        with self._lock:
            if infrastructure not in self._sessions:
                infra = get_infrastructure(infrastructure)
                self._sessions[infrastructure] = checked_session(
                    profile, infra, f"configure profile {profile} for account {infra.account}"
                )
            return self._sessions[infrastructure], profile


class Deployments:
    """The checks' view of AWS (`AwsView`), through `sessions`."""

    def __init__(self, sessions: InfrastructureSessions) -> None:
        self.sessions = sessions
        self._described: dict[str, Once[dict[str, Any] | None]] = {}  # stack -> its one description
        self._lock = threading.Lock()

    def hosted_name_servers(self, domain: SendingDomain) -> frozenset[str]:
        if domain.zone_export is None:
            raise ZoneUnknown(f"{domain.zone_name} has no hosted zone of its own")
        try:
            described = self.stack(domain)
        except AwsProblem as exc:
            raise ZoneUnknown(str(exc)) from None
        session, profile = self.sessions.of(domain.infrastructure)
        return stack_zone_delegation_set(
            session,
            described,
            stack=domain.stack_name,
            export=domain.zone_export,
            zone=domain.zone_name,
            profile=profile,
        )

    def stack(self, domain: SendingDomain) -> dict[str, Any] | None:
        return self.described(domain.infrastructure, domain.stack_name)

    def described(self, infrastructure: str, stack: str) -> dict[str, Any] | None:
        """The stack as CloudFormation describes it (None: not deployed), asked once per run
        however many threads ask at once: the stack checks, the hosted zone's delegation set
        and the plan's stack rows read the same answer."""
        with self._lock:
            once = self._described.setdefault(stack, Once(lambda: self._describe(infrastructure, stack)))
        return once.get()

    def _describe(self, infrastructure: str, stack: str) -> dict[str, Any] | None:
        session, profile = self.sessions.of(infrastructure)
        return described_stack(client(session, "cloudformation"), stack, profile)

    def template(self, infrastructure: str, stack: str) -> dict[str, Any] | None:
        """The template the stack was deployed with (None: no such stack)."""
        session, profile = self.sessions.of(infrastructure)
        return deployed_template(client(session, "cloudformation"), stack, profile)

    def secrets(self, domain: SendingDomain) -> dict[str, dict[str, Any] | None]:
        session, profile = self.sessions.of(domain.infrastructure)
        manager = client(session, "secretsmanager")
        found: dict[str, dict[str, Any] | None] = {}
        for name in domain.secret_names:
            try:
                found[name] = dict(manager.describe_secret(SecretId=name))
            except AWS_ERRORS as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise explain(exc, profile, f"describing secret {name}") from None
                found[name] = None
        return found
