"""Fleet rollout on the local platform, three states (vermont, maine, ohio): a broken version stops at the
canary and is rolled back; a good version then reaches all three (issue 14).

The broken app image is built FROM the real one with a command that exits at once; the good one is the
real image with one more label (a new image id, same behaviour). Both through `humangov rollout`, gated by
`verify`. All three states are torn down at the end, also when a step fails.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from conftest import DEPLOY_TIMEOUT, DESTROY_TIMEOUT, leftovers, open_platform, progress
from humangov_deploy.cli import main
from humangov_deploy.platforms.local.platform import LocalPlatform
from humangov_deploy.platforms.local.records import LABEL_RUN
from humangov_deploy.verify import verify

pytestmark = pytest.mark.live

STATES = ("vermont", "maine", "ohio")  # this test's own states: the other live tests use others


def _variant(client: Any, base: str, tag: str, extra: str) -> str:
    """An image FROM `base` (already on the engine: nothing is pulled), tagged locally."""
    dockerfile = f"FROM {base}\n{extra}\n"
    client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, pull=False)
    return tag


def _objects(platform: LocalPlatform, state: str) -> set[tuple[str, str, str]]:
    """Every container of the state: (name, id, image): equal sets mean the state was not touched."""
    client = platform.docker
    found = client.containers.list(all=True, filters={"label": [f"humangov.state={state}"]})
    return {(c.name, c.id, str((c.attrs.get("Config") or {}).get("Image"))) for c in found}


@dataclass
class Fleet:
    platform: LocalPlatform
    rollouts: list[str] = field(default_factory=list)  # run ids of the rollouts made: their records go too


@pytest.fixture(scope="module")
def fleet(live_platform_name: str, run_id: str) -> Iterator[Fleet]:
    platform = open_platform("local", run_id)
    assert isinstance(platform, LocalPlatform)
    made = Fleet(platform)
    for state in STATES:
        if platform.status(state).exists:
            pytest.fail(f"{state} already exists on local: `humangov destroy --state {state}` first")
    platform.images(progress)  # built before any deadline starts
    try:
        with ThreadPoolExecutor(max_workers=len(STATES)) as pool:
            list(
                pool.map(
                    lambda s: platform.deploy(s, timeout=DEPLOY_TIMEOUT["local"], progress=progress), STATES
                )
            )
        yield made
    finally:
        with ThreadPoolExecutor(max_workers=len(STATES)) as pool:
            list(
                pool.map(
                    lambda s: platform.destroy(s, timeout=DESTROY_TIMEOUT["local"], progress=progress), STATES
                )
            )
        client = platform.docker
        for rollout in made.rollouts:
            for volume in client.volumes.list(filters={"label": [f"{LABEL_RUN}={rollout}"]}):
                volume.remove(force=True)
        for tag in (f"humangov-app:broken-{run_id}", f"humangov-app:good-{run_id}"):
            if any(tag in image.tags for image in client.images.list(name="humangov-app")):
                client.images.remove(tag, force=True)
        # Only the fleet's states: the session's own stack (--state) shares the run id and is still up.
        mine = tuple(f"humangov-{state}-" for state in STATES)
        found = {item for state in STATES for item in leftovers(platform, "local", state, run_id)}
        left = sorted(item for item in found if any(name in item for name in mine))
        assert not left, f"left behind: {left}"


def _rollout(
    fleet: Fleet, run_id: str, *args: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()  # stdout so far (a verify's progress) is not the rollout's JSON
    code = main(["rollout", "--platform", "local", "--run-id", run_id, "--timeout", "120", "--json", *args])
    captured = capsys.readouterr()
    with capsys.disabled():
        print(captured.err, flush=True)  # the transitions, on the terminal as they were
    data = json.loads(captured.out)
    fleet.rollouts.append(data["run_id"])
    return code, data


@pytest.mark.humangov_platforms(
    "local", reason="the rollout's live test runs on Docker; on aws it is proven on moto"
)
def test_a_broken_version_stops_at_the_canary_then_a_good_one_reaches_all(
    fleet: Fleet, run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = fleet.platform
    old = {s: platform.current_version(s) for s in STATES}
    assert all(old.values()), old
    untouched = {s: _objects(platform, s) for s in ("maine", "ohio")}
    base = old["vermont"].app  # type: ignore[union-attr]
    # Runs as the app would, and exits at once: the deploy sees it crash-looping.
    broken = _variant(platform.docker, base, f"humangov-app:broken-{run_id}", 'CMD ["sh", "-c", "exit 3"]')
    nginx = old["vermont"].nginx  # type: ignore[union-attr]

    code, data = _rollout(
        fleet,
        run_id,
        "--states",
        ",".join(STATES),
        "--canary",
        "vermont",
        "--app-image",
        broken,
        "--nginx-image",
        nginx,
        capsys=capsys,
    )
    results = {s["state"]: s["result"] for s in data["states"]}
    assert code == 1 and data["status"] == "halted", data
    assert results == {"vermont": "rolled-back", "maine": "pending", "ohio": "pending"}, data
    assert platform.current_version("vermont") == old["vermont"]
    report = verify(platform, "vermont", progress=progress)
    assert report.ok, str(report)
    assert {s: _objects(platform, s) for s in ("maine", "ohio")} == untouched

    good = _variant(platform.docker, base, f"humangov-app:good-{run_id}", f'LABEL humangov.test="{run_id}"')
    code, data = _rollout(
        fleet,
        run_id,
        "--states",
        ",".join(STATES),
        "--app-image",
        good,
        "--nginx-image",
        nginx,
        capsys=capsys,
    )
    assert code == 0 and data["ok"], data
    assert {s: platform.current_version(s).app for s in STATES} == dict.fromkeys(STATES, good)  # type: ignore[union-attr]
