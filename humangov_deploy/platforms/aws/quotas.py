"""`preflight` on the aws platform: the quotas a fleet meets, what is in use, what the states need.

Each quota comes from Service Quotas: the account's applied value (GetServiceQuota), else AWS's default
(GetAWSDefaultServiceQuota), else the default AWS documents (an emulator: moto knows no ELB or Fargate
quota), and the report says which. Per new state a deploy makes 1 ALB, 1 target group and 2 security groups
and runs `desired_count` tasks of spec.TASK_CPU; a rolling deploy of a state runs up to maximumPercent
(200 %) of its tasks for a moment, so each state needs 2 to 4 vCPUs while it deploys (DESIGN.md: a vCPU
shortfall is a service event, not an error). `needed` counts what new states add for good; `peak` adds
the surge of every listed state deploying at once, and only warns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import servicequotas as sq
from humangov_deploy.aws import usage
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.aws import spec
from humangov_deploy.platforms.aws.pricing import Estimate, monthly_estimate

ELB_QUOTAS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html"
ECS_QUOTAS = "https://docs.aws.amazon.com/general/latest/gr/ecs-service.html"
VPC_QUOTAS = "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"


@dataclass(frozen=True)
class Quota:
    key: str
    name: str
    service_code: str
    quota_code: str
    documented: float  # AWS's documented default, where Service Quotas does not answer
    documented_at: str

    def how_to_raise(self, value: float) -> str:
        return (
            f"raise it in the Service Quotas console ({self.service_code}, {self.quota_code}) or with "
            f"`aws service-quotas request-service-quota-increase --service-code {self.service_code} "
            f"--quota-code {self.quota_code} --desired-value {value:g}`"
        )


QUOTAS = (
    Quota(
        "alb", "Application Load Balancers per Region", "elasticloadbalancing", "L-53DA6B97", 50, ELB_QUOTAS
    ),
    Quota(
        "target_groups", "Target Groups per Region", "elasticloadbalancing", "L-B22855CB", 3000, ELB_QUOTAS
    ),
    # A new account's value; Service Quotas may answer more (ECS endpoints and quotas page).
    Quota("fargate_vcpu", "Fargate On-Demand vCPU resource count", "fargate", "L-3032A538", 6, ECS_QUOTAS),
    Quota("security_groups", "VPC security groups per Region", "vpc", "L-E79EC296", 2500, VPC_QUOTAS),
)
PER_NEW_STATE = {"alb": 1, "target_groups": 1, "security_groups": 2}


@dataclass
class QuotaCheck:
    quota: Quota
    limit: float
    source: str  # applied, aws-default, or documented-default (with why)
    in_use: float
    needed: float
    peak: float
    # False for a documented default on an emulator (--endpoint-url): AWS's figure, which the emulator does
    # not enforce, is shown and never refuses.
    enforced: bool = True

    @property
    def left(self) -> float:
        return self.limit - self.in_use

    @property
    def ok(self) -> bool:
        return self.needed <= self.left or not self.enforced

    def to_json(self) -> dict[str, Any]:
        return {
            "quota": self.quota.name,
            "service_code": self.quota.service_code,
            "quota_code": self.quota.quota_code,
            "limit": self.limit,
            "source": self.source,
            "in_use": self.in_use,
            "needed": self.needed,
            "peak": self.peak,
            "left": self.left,
            "enforced": self.enforced,
            "ok": self.ok,
        }


@dataclass
class Preflight:
    platform: str
    region: str
    states: list[str]
    new_states: list[str]
    checks: list[QuotaCheck] = field(default_factory=list)
    estimate: Estimate | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def refusal(self) -> str:
        """One message naming every quota that would be exceeded and how to raise it."""
        short = [c for c in self.checks if not c.ok]
        return "; ".join(
            f"{', '.join(self.new_states)} would exceed the quota {c.quota.name} ({c.quota.quota_code}) in "
            f"{self.region}: {c.limit:g} ({c.source}), {c.in_use:g} in use, {c.needed:g} needed; "
            + c.quota.how_to_raise(c.in_use + c.needed)
            for c in short
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "region": self.region,
            "states": self.states,
            "new_states": self.new_states,
            "ok": self.ok,
            "quotas": [c.to_json() for c in self.checks],
            "estimate": self.estimate.to_json() if self.estimate else None,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        head = f"preflight {len(self.states)} state(s) on {self.platform} in {self.region}: "
        out = [head + ("OK" if self.ok else "QUOTA EXCEEDED") + f" ({len(self.new_states)} not deployed yet)"]
        width = max((len(c.quota.name) for c in self.checks), default=0)
        for c in self.checks:
            mark = "ok  " if c.needed <= c.left else "FAIL" if c.enforced else "over"
            out.append(
                f"  {mark} {c.quota.name:<{width}}  limit {c.limit:>6g} ({c.source}), in use {c.in_use:g}, "
                f"needed {c.needed:g} (peak {c.peak:g}), left {c.left:g}"
            )
        out += [f"note: {n}" for n in self.notes]
        out += self.estimate.text() if self.estimate else []
        return out


def read_quota(clients: AwsClients, quota: Quota) -> tuple[float, str]:
    """The quota's value and where it came from: applied, else AWS's default, else documented."""
    once = sq.best_effort(clients)
    applied = sq.applied_quota(once, quota.service_code, quota.quota_code)
    if applied.value is not None:
        return applied.value, "applied"
    default = sq.default_quota(once, quota.service_code, quota.quota_code)
    if default.value is not None:
        return default.value, "aws-default"
    why = f"Service Quotas did not answer ({applied.source}; {default.source})"
    return quota.documented, f"documented-default: {why}; {quota.documented_at}"


def task_vcpu() -> float:
    return int(spec.TASK_CPU) / 1024


def task_gb() -> float:
    return int(spec.TASK_MEMORY) / 1024


def preflight(
    clients: AwsClients, states: list[str], deployed: list[str], *, desired_count: int
) -> Preflight:
    """What the states need against what the account has; reads only (no write, no resource made)."""
    if not states:
        raise ConfigError("preflight: no state given")
    new = [s for s in states if s not in set(deployed)]
    surge = float(spec.DEPLOYMENT_CONFIGURATION["maximumPercent"]) / 100 - 1  # extra tasks while rolling
    per_task = task_vcpu()
    in_use = {
        "alb": float(usage.application_load_balancers(clients)),
        "target_groups": float(usage.target_groups(clients)),
        "security_groups": float(usage.security_groups(clients)),
        "fargate_vcpu": usage.fargate_vcpus(clients),
    }
    result = Preflight("aws", clients.region, list(states), new)
    for quota in QUOTAS:
        limit, source = read_quota(clients, quota)
        if quota.key == "fargate_vcpu":
            needed = len(new) * desired_count * per_task
            peak = needed + len(states) * desired_count * per_task * surge
        else:
            needed = peak = float(len(new) * PER_NEW_STATE[quota.key])
        enforced = not (clients.endpoint_url and source.startswith("documented-default"))
        result.checks.append(QuotaCheck(quota, limit, source, in_use[quota.key], needed, peak, enforced))
    vcpu = next(c for c in result.checks if c.quota.key == "fargate_vcpu")
    if any(not c.enforced and c.needed > c.left for c in result.checks):
        result.notes.append("an emulator (--endpoint-url) enforces none of AWS's quotas: shown, not applied")
    if vcpu.ok and vcpu.peak > vcpu.left:
        result.notes.append(
            f"deploying all {len(states)} at once would need up to {vcpu.peak:g} Fargate vCPUs "
            f"({desired_count} more tasks per state while it rolls): deploy fewer at once "
            "(rollout --max-parallel)"
        )
    result.estimate = monthly_estimate(
        states=len(states),
        tasks_per_state=desired_count,
        task_vcpu=per_task,
        task_gb=task_gb(),
        alb_azs=_alb_azs(clients),
        region=clients.region,
    )
    return result


def _alb_azs(clients: AwsClients) -> int:
    """The ALB spans one default subnet per AZ (network.py); 2 when the default VPC cannot be read."""
    try:
        return len(ec2_api.default_subnets(clients, ec2_api.default_vpc(clients)))
    except ConfigError:
        return 2
