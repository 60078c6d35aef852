"""The preflight check itself, for `preflight`, `deploy` and `rollout` (apart from the command, which
imports `deploy`: no cycle). Only the aws platform has quotas."""

from __future__ import annotations

from typing import Any, Protocol

from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.aws import AwsPlatform
from humangov_deploy.platforms.aws.quotas import preflight as aws_preflight
from humangov_deploy.platforms.base import Platform
from humangov_deploy.platforms.local import LocalPlatform
from humangov_deploy.platforms.local.preflight import preflight as local_preflight


class Report(Protocol):
    new_states: list[str]

    @property
    def ok(self) -> bool: ...

    def refusal(self) -> str: ...

    def lines(self) -> list[str]: ...

    def to_json(self) -> dict[str, Any]: ...


def check(platform: Platform, states: list[str]) -> Report:
    """The platform's preflight of `states` (reads only)."""
    if isinstance(platform, AwsPlatform):
        deployed = platform.deployed_states()
        return aws_preflight(platform.clients, states, deployed, desired_count=platform.options.desired_count)
    if isinstance(platform, LocalPlatform):
        return local_preflight(platform, states)
    raise ConfigError(f"preflight does not know the {platform.name} platform")


def guard(platform: Platform, states: list[str], say: Any) -> None:
    """Refuse (ConfigError, before anything is made) when new states would not fit; else say so briefly.

    Only the aws platform has quotas; the local one is checked by its own first Docker call.
    """
    if not isinstance(platform, AwsPlatform) or not states:
        return
    deployed = platform.deployed_states()
    if all(state in deployed for state in states):
        return  # a redeploy makes no ALB, target group or security group
    report = aws_preflight(platform.clients, states, deployed, desired_count=platform.options.desired_count)
    if not report.ok:
        raise ConfigError(f"preflight: {report.refusal()} (or pass --skip-preflight)")
    for line in report.lines()[:1] + [x for x in report.lines() if x.startswith("note:")]:
        say(line)
