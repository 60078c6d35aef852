"""Names and tags of a state's resources: all 50 states fit AWS's limits and never collide."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pytest

from humangov_deploy import appsrc, naming
from humangov_deploy.errors import ConfigError

PER_STATE = (
    "family",
    "service",
    "load_balancer",
    "target_group",
    "lb_security_group",
    "task_security_group",
    "log_group",
    "task_role",
    "execution_role",
    "task_policy",
    "execution_policy",
    "secret_parameter",
)


@pytest.mark.parametrize("state", appsrc.states())
def test_every_state_fits_the_limits(state: str) -> None:
    names = naming.names_for(state)
    assert len(names.load_balancer) <= 32 and len(names.target_group) <= 32
    assert len(names.task_role) <= 64 and len(names.execution_role) <= 64
    # ELBv2 names: alphanumerics and hyphens, not starting or ending with a hyphen.
    for name in (names.load_balancer, names.target_group):
        assert name.replace("-", "").isalnum() and not name.startswith("-") and not name.endswith("-")
        assert not name.startswith("internal-")


def test_longest_states_fit() -> None:
    longest = max(appsrc.states(), key=len)
    assert len(naming.names_for(longest).load_balancer) <= 32
    assert naming.names_for("north-carolina").load_balancer == "humangov-north-carolina-lb"


def test_names_never_collide_between_states() -> None:
    seen: dict[str, str] = {}
    for state in appsrc.states():
        names = naming.names_for(state)
        for attr in PER_STATE:
            value = getattr(names, attr)
            assert value not in seen, f"{value} of {state} collides with {seen.get(value)}"
            assert state in value
            seen[value] = state
    assert naming.names_for("texas").cluster == "humangov-cluster"  # the one shared name


def test_unknown_state_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown state"):
        naming.names_for("atlantis")
    assert naming.names_for("New York").state == "new-york"


def test_run_id_carries_its_time_and_is_unique() -> None:
    moment = datetime(2026, 11, 26, 17, 0, 5, tzinfo=UTC)
    first, second = naming.new_run_id(moment), naming.new_run_id(moment)
    assert first != second and first.startswith("20261126T170005Z-")
    assert naming.run_id_time(first) == moment
    assert naming.run_id_time("ci-1234") is None and naming.run_id_time(None) is None


def test_stack_tags_and_time_round_trip() -> None:
    moment = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    tags = naming.stack_tags("texas", "run-1", moment, extra="x")
    assert tags == {
        "humangov:state": "texas",
        "humangov:run-id": "run-1",
        "humangov:managed-by": "humangov",
        "humangov:created-at": "2026-11-26T17:00:00Z",
        "extra": "x",
    }
    assert naming.parse_time(tags["humangov:created-at"]) == moment
    assert naming.parse_time("yesterday") is None


def test_stack_names_is_a_plain_value() -> None:
    assert [f.name for f in fields(naming.StackNames)] == ["state"]
