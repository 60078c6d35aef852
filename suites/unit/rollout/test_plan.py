"""The plan: canary first (the first state by default), waves of N in the order given, skips with reasons."""

from __future__ import annotations

import pytest
from rollout_testkit import OLD

from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.base import Version
from humangov_deploy.rollout.plan import make_plan, parse_states

pytestmark = pytest.mark.unit


def test_canary_then_waves_in_order() -> None:
    states = ["ohio", "maine", "vermont", "texas", "utah", "iowa"]
    plan = make_plan(states, dict.fromkeys(states, OLD), wave_size=2)
    assert plan.waves == (("ohio",), ("maine", "vermont"), ("texas", "utah"), ("iowa",))
    assert plan.canary == "ohio" and plan.states == states


def test_a_named_canary_goes_first_and_alone() -> None:
    states = ["ohio", "maine", "vermont"]
    plan = make_plan(states, dict.fromkeys(states, OLD), canary="vermont", wave_size=5)
    assert plan.waves == (("vermont",), ("ohio", "maine"))


def test_states_not_deployed_are_skipped_with_a_reason_unless_create_missing() -> None:
    current: dict[str, Version | None] = {"ohio": None, "maine": OLD, "vermont": OLD}
    plan = make_plan(["ohio", "maine", "vermont"], current, wave_size=5)
    assert plan.waves == (("maine",), ("vermont",))
    assert "not deployed" in plan.skipped["ohio"] and "--create-missing" in plan.skipped["ohio"]
    created = make_plan(["ohio", "maine", "vermont"], current, wave_size=5, create_missing=True)
    assert created.waves == (("ohio",), ("maine", "vermont")) and not created.skipped


@pytest.mark.parametrize(
    ("canary", "message"), [("texas", "not one of the states"), ("ohio", "canary ohio is not deployed")]
)
def test_a_canary_that_cannot_go_first_is_an_error(canary: str, message: str) -> None:
    current: dict[str, Version | None] = {"ohio": None, "maine": OLD}
    with pytest.raises(ConfigError, match=message):
        make_plan(["ohio", "maine"], current, canary=canary)


def test_wave_size_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="--wave-size"):
        make_plan(["ohio"], {"ohio": OLD}, wave_size=0)


def test_parse_states_lists_and_all() -> None:
    assert parse_states("ohio, maine,ohio vermont", list) == ["ohio", "maine", "vermont"]
    assert parse_states("all", lambda: ["iowa", "utah"]) == ["iowa", "utah"]
    with pytest.raises(ConfigError, match="no state is deployed"):
        parse_states("all", list)
    with pytest.raises(ConfigError):
        parse_states("atlantis", list)


def test_version_tags_are_short() -> None:
    digest = Version(app=f"1.dkr.ecr.us-east-1.amazonaws.com/humangov-app@sha256:{'ab' * 32}", nginx="n")
    assert digest.tag == "abababababab"
    assert Version(app="localhost:5000/humangov-app:20261126-1a2b", nginx="n").tag == "20261126-1a2b"
    assert Version(app="humangov-app", nginx="n").tag == "latest"
