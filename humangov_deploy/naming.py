"""Names and tags of one state's resources: one place, so deploy, status, destroy and sweep agree.

Every per-state name carries the state slug, so the 50 states live side by side in one account and
region. Load balancer and target group names are limited to 32 characters by ELBv2; `names_for`
checks every limit, and a unit test runs it over all 50 states.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from humangov_deploy import appsrc
from humangov_deploy.errors import ConfigError

PREFIX = "humangov"
CLUSTER = "humangov-cluster"
IAM_PATH = "/humangov/"
# ECR repositories are shared by every state (the images do not depend on the state).
SHARED_STATE = "shared"

TAG_STATE = "humangov:state"
TAG_RUN_ID = "humangov:run-id"
TAG_MANAGED_BY = "humangov:managed-by"
TAG_CREATED_AT = "humangov:created-at"
# How the state's data was created (terraform or boto3), so `destroy` removes it the same way.
TAG_DATA = "humangov:data"
# Fingerprint of the desired configuration, so a redeploy can tell "unchanged" without diffing AWS's echo.
TAG_SPEC = "humangov:spec"
MANAGED_BY = "humangov"  # the same value humangov_deploy.data tags the table and bucket with
# The managed policy terraform/bootstrap makes, set as the permissions boundary of every role the library
# creates: the CI role may create and re-policy roles only with it (permissions_boundary_arn in
# platforms/aws/spec.py).
PERMISSIONS_BOUNDARY = "humangov-permissions-boundary"

LIMITS = {"load_balancer": 32, "target_group": 32, "task_role": 64, "execution_role": 64}


@dataclass(frozen=True)
class StackNames:
    state: str

    @property
    def prefix(self) -> str:
        return f"{PREFIX}-{self.state}"

    cluster = CLUSTER

    @property
    def family(self) -> str:
        return f"{self.prefix}-fullstack"

    @property
    def service(self) -> str:
        return f"{self.prefix}-service"

    @property
    def load_balancer(self) -> str:
        return f"{self.prefix}-lb"

    @property
    def target_group(self) -> str:
        return f"{self.prefix}-tg"

    @property
    def lb_security_group(self) -> str:
        return f"{self.prefix}-lb-sg"

    @property
    def task_security_group(self) -> str:
        return f"{self.prefix}-tasks-sg"

    @property
    def log_group(self) -> str:
        return f"/ecs/{self.prefix}"

    @property
    def task_role(self) -> str:
        return f"{self.prefix}-task-role"

    @property
    def execution_role(self) -> str:
        return f"{self.prefix}-execution-role"

    @property
    def task_policy(self) -> str:
        return f"{self.prefix}-data-access"

    @property
    def execution_policy(self) -> str:
        return f"{self.prefix}-execution"

    @property
    def secret_parameter(self) -> str:
        return f"/{PREFIX}/{self.state}/secret-key"


def names_for(state: str) -> StackNames:
    names = StackNames(appsrc.validate_state(state))
    for attr, limit in LIMITS.items():
        value = getattr(names, attr)
        if len(value) > limit:  # pragma: no cover - guarded by a test over all 50 states
            raise ConfigError(f"{attr} name {value!r} is longer than AWS's limit of {limit} characters")
    return names


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique id: the UTC time plus a random suffix (`20261126T170000Z-1a2b3c`)."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def run_id_time(run_id: str | None) -> datetime | None:
    """The creation time encoded in a run id made by `new_run_id` (None for other run ids)."""
    if not run_id:
        return None
    try:
        return datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def stack_tags(state: str, run_id: str, created_at: datetime, **extra: str) -> dict[str, str]:
    tags = {
        TAG_STATE: state,
        TAG_RUN_ID: run_id,
        TAG_MANAGED_BY: MANAGED_BY,
        TAG_CREATED_AT: format_time(created_at),
    }
    tags.update(extra)
    return tags


# A DNS name a state is served under (`deploy --domain`): labels of letters, digits and inner hyphens
# (RFC 1123), at least two of them, 253 characters at most; compared and stored in lower case.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
STATE_PLACEHOLDER = "{state}"


def domain_name(name: str, state: str | None = None) -> str:
    """`name` as a host name, checked; `{state}` in it becomes the state's slug (one `--domain` for a
    rollout: `{state}.hr.example.gov`)."""
    domain = name.strip().lower().rstrip(".")
    if STATE_PLACEHOLDER in domain:
        if state is None:
            raise ConfigError(f"--domain {name}: {STATE_PLACEHOLDER} needs a state to stand for")
        domain = domain.replace(STATE_PLACEHOLDER, appsrc.validate_state(state))
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ConfigError(
            f"--domain takes a DNS name such as utah.hr.example.gov (letters, digits and hyphens, "
            f"dot-separated), not {name!r}"
        )
    return domain
