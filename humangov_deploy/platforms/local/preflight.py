"""`preflight` on the local platform: no quota applies; what can stop a deploy is the Docker engine.

It says whether the engine answers, which of the states already run, and how many containers the new
ones will add (a task is three containers; each state has a load balancer and an emulator). Ports are no
limit: each load balancer's ports are the kernel's pick of free loopback ports at deploy time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.local.platform import LocalPlatform

CONTAINERS_PER_TASK = 3  # holder, app, nginx (tasks.py)
CONTAINERS_PER_STATE = 2  # the load balancer and the emulator


@dataclass
class LocalPreflight:
    states: list[str]
    new_states: list[str] = field(default_factory=list)
    engine: str = ""  # the engine's version, or why it does not answer
    engine_ok: bool = False
    containers_needed: int = 0
    platform: str = "local"
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.engine_ok

    def refusal(self) -> str:
        return f"the local platform cannot deploy: {self.engine}"

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "states": self.states,
            "new_states": self.new_states,
            "ok": self.ok,
            "engine": self.engine,
            "containers_needed": self.containers_needed,
            "quotas": [],
            "estimate": None,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        out = [f"preflight {len(self.states)} state(s) on local: {'OK' if self.ok else 'FAILED'}"]
        out.append(f"  {'ok  ' if self.engine_ok else 'FAIL'} Docker engine: {self.engine}")
        if self.engine_ok:
            out.append(
                f"  {len(self.new_states)} not deployed yet: {self.containers_needed} container(s) to start"
            )
        return out + [f"note: {n}" for n in self.notes]


def preflight(platform: LocalPlatform, states: list[str]) -> LocalPreflight:
    result = LocalPreflight(list(states))
    result.notes.append("quotas and costs do not apply to the local platform (the machine's own resources)")
    try:
        result.engine = f"answers (version {platform.docker.version().get('Version', '?')})"
    except ConfigError as exc:
        result.engine = str(exc)
        return result
    result.engine_ok = True
    deployed = set(platform.deployed_states())
    result.new_states = [s for s in states if s not in deployed]
    per_state = platform.desired_count * CONTAINERS_PER_TASK + CONTAINERS_PER_STATE
    result.containers_needed = len(result.new_states) * per_state
    return result
