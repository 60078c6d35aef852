"""An estimated monthly cost of the states at AWS list prices: one table of prices, each with its source.

List prices of US East (N. Virginia), on demand, before taxes, free tier and savings plans; other regions
cost more or less (the estimate says which region's prices it used). What the estimate counts per state,
running all month (730 hours):
- the ALB: its hours, and at least 1 LCU-hour per hour (an ALB is billed for the LCUs it uses each hour;
  a state with light traffic stays near one);
- Fargate: vCPU-hours and GB-hours of its tasks (desired count x the task size of spec.py);
- public IPv4 addresses: one per task (tasks get a public IP in the default VPC, spec.py) and one per
  Availability Zone of the ALB (an internet-facing ALB has an address in each of its subnets).
Not counted: data transfer, CloudWatch Logs, ECR storage, DynamoDB and S3 (per request and per GB).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

HOURS_PER_MONTH = 730
PRICES_REGION = "us-east-1"
PRICES_CHECKED = "2026-12-05"


@dataclass(frozen=True)
class Price:
    item: str
    usd: float
    unit: str
    source: str


# The one table of prices (read on PRICES_CHECKED; update all of it at once, with the date).
PRICES: dict[str, Price] = {
    "alb_hour": Price(
        "Application Load Balancer",
        0.0225,
        "per ALB-hour",
        "https://aws.amazon.com/elasticloadbalancing/pricing/",
    ),
    "alb_lcu_hour": Price(
        "ALB capacity unit (LCU)",
        0.008,
        "per LCU-hour",
        "https://aws.amazon.com/elasticloadbalancing/pricing/",
    ),
    "fargate_vcpu_hour": Price(
        "Fargate vCPU (Linux/x86)", 0.04048, "per vCPU-hour", "https://aws.amazon.com/fargate/pricing/"
    ),
    "fargate_gb_hour": Price(
        "Fargate memory (Linux/x86)", 0.004445, "per GB-hour", "https://aws.amazon.com/fargate/pricing/"
    ),
    "public_ipv4_hour": Price(
        "Public IPv4 address", 0.005, "per address-hour", "https://aws.amazon.com/vpc/pricing/"
    ),
}
MIN_LCU_PER_HOUR = 1.0


@dataclass(frozen=True)
class Estimate:
    states: int
    region: str
    lines: dict[str, float]  # price key -> USD per month for all the states

    @property
    def total(self) -> float:
        return round(sum(self.lines.values()), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "states": self.states,
            "region": self.region,
            "prices_region": PRICES_REGION,
            "prices_checked": PRICES_CHECKED,
            "usd_per_month": {key: round(value, 2) for key, value in self.lines.items()},
            "total_usd_per_month": self.total,
            "prices": {key: asdict(price) for key, price in PRICES.items()},
        }

    def text(self) -> list[str]:
        elsewhere = "" if self.region == PRICES_REGION else f" (your region: {self.region})"
        out = [
            f"estimated cost of {self.states} state(s) for a month ({HOURS_PER_MONTH} h) at {PRICES_REGION} "
            f"list prices of {PRICES_CHECKED}{elsewhere}:"
        ]
        for key, usd in self.lines.items():
            price = PRICES[key]
            out.append(f"  {price.item:<28} ${usd:>10,.2f}  (${price.usd} {price.unit}; {price.source})")
        out.append(f"  {'total':<28} ${self.total:>10,.2f}")
        return out


def monthly_estimate(
    *, states: int, tasks_per_state: int, task_vcpu: float, task_gb: float, alb_azs: int, region: str
) -> Estimate:
    hours = HOURS_PER_MONTH * states
    usage = {
        "alb_hour": hours,
        "alb_lcu_hour": hours * MIN_LCU_PER_HOUR,
        "fargate_vcpu_hour": hours * tasks_per_state * task_vcpu,
        "fargate_gb_hour": hours * tasks_per_state * task_gb,
        "public_ipv4_hour": hours * (tasks_per_state + alb_azs),
    }
    return Estimate(states, region, {key: amount * PRICES[key].usd for key, amount in usage.items()})
