"""The plan of a rollout, as pure functions: which states, the canary, the waves, what is skipped and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from humangov_deploy import appsrc
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.base import Version

ALL = "all"


@dataclass(frozen=True)
class Plan:
    """Wave 0 is the canary alone; then waves of at most `wave_size` states, in the order given."""

    waves: tuple[tuple[str, ...], ...]
    skipped: Mapping[str, str] = field(default_factory=dict)  # state -> why it is not rolled out

    @property
    def canary(self) -> str | None:
        return self.waves[0][0] if self.waves else None

    @property
    def states(self) -> list[str]:
        return [state for wave in self.waves for state in wave]

    def lines(self) -> list[str]:
        out = []
        for index, wave in enumerate(self.waves):
            name = "canary" if index == 0 else f"wave {index}"
            out.append(f"{name:<8} {', '.join(wave)}")
        out += [f"skipped  {state}: {why}" for state, why in self.skipped.items()]
        return out


def parse_states(text: str, deployed: Callable[[], list[str]]) -> list[str]:
    """`--states a,b,c` (commas or spaces; duplicates dropped, order kept) or `all`: every deployed state."""
    words = [w for w in text.replace(",", " ").split() if w]
    if words == [ALL]:
        found = deployed()
        if not found:
            raise ConfigError("--states all: no state is deployed on this platform")
        return found
    if not words:
        raise ConfigError("--states needs at least one state (or `all`)")
    return list(dict.fromkeys(appsrc.validate_state(w) for w in words))


def make_plan(
    states: Sequence[str],
    current: Mapping[str, Version | None],
    *,
    canary: str | None = None,
    wave_size: int = 5,
    create_missing: bool = False,
) -> Plan:
    """Order the states into waves. A state not deployed is skipped (never created) unless create_missing."""
    if wave_size < 1:
        raise ConfigError(f"--wave-size must be at least 1, not {wave_size}")
    skipped = {
        s: "not deployed (pass --create-missing to create it)"
        for s in states
        if current.get(s) is None and not create_missing
    }
    eligible = [s for s in states if s not in skipped]
    if canary is not None:
        canary = appsrc.validate_state(canary)
        if canary not in states:
            raise ConfigError(f"the canary {canary} is not one of the states to roll out")
        if canary in skipped:
            raise ConfigError(f"the canary {canary} is {skipped[canary]}")
    elif eligible:
        canary = eligible[0]
    if canary is None:
        return Plan(waves=(), skipped=skipped)
    rest = [s for s in eligible if s != canary]
    waves = [(canary,)] + [tuple(rest[i : i + wave_size]) for i in range(0, len(rest), wave_size)]
    return Plan(waves=tuple(waves), skipped=skipped)
