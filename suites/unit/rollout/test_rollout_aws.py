"""The aws platform's part of a rollout on moto: the SSM record store, versions as task definition revisions,
the rollback to an earlier revision, a 13-state rollout in waves, and the CLI on moto's server. All with the
`deploy` gate: moto runs no task, so `verify` cannot pass there."""

from __future__ import annotations

import json

import pytest
from fake_clock import FakeClock

from humangov_deploy import appsrc
from humangov_deploy.cli import main
from humangov_deploy.clients import AwsClients
from humangov_deploy.commands.rollout import current_versions
from humangov_deploy.commands.status import fleet_rows
from humangov_deploy.naming import CLUSTER, names_for
from humangov_deploy.platforms import aws as aws_platform
from humangov_deploy.platforms.aws.fleet import FleetClients
from humangov_deploy.platforms.aws.platform import AwsPlatform
from humangov_deploy.platforms.aws.records import ROOT, SsmRecordStore
from humangov_deploy.platforms.base import Version
from humangov_deploy.rollout.plan import make_plan
from humangov_deploy.rollout.record import Records, RolloutRecord, new_rollout_id
from humangov_deploy.rollout.runner import Runner, deploy_gate, new_record
from suites.unit.platforms.aws.aws_testkit import APP_IMAGE, NGINX_IMAGE, moto_platform

pytestmark = pytest.mark.unit

APP_V2 = APP_IMAGE.replace("a" * 64, "c" * 64)
NGINX_V2 = NGINX_IMAGE.replace("b" * 64, "d" * 64)


def test_ssm_store_keeps_records_by_run_id_and_lists_only_them(moto_clients: AwsClients) -> None:
    store = SsmRecordStore(moto_clients)
    moto_clients.ssm.put_parameter(Name="/humangov/texas/secret-key", Value="s", Type="SecureString")
    assert store.get("run-1") is None and store.all() == {}
    store.put("run-1", "z1:first")
    store.put("run-1", "z1:second")  # overwritten in place
    store.put("run-2", "z1:other")
    assert store.get("run-1") == "z1:second"
    assert store.all() == {"run-1": "z1:second", "run-2": "z1:other"}
    tiers = {
        p["Name"]: p["Tier"]
        for p in moto_clients.ssm.describe_parameters(
            ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [ROOT]}]
        )["Parameters"]
    }
    assert tiers == {f"{ROOT}/run-1": "Standard", f"{ROOT}/run-2": "Standard"}


def test_a_record_over_4_kb_goes_to_the_advanced_tier_and_stays_there(moto_clients: AwsClients) -> None:
    store = SsmRecordStore(moto_clients)
    store.put("run-big", "z1:" + "x" * 5000)
    store.put("run-big", "z1:small again")  # AWS refuses to move a parameter down a tier
    described = moto_clients.ssm.describe_parameters()["Parameters"]
    assert [p["Tier"] for p in described if p["Name"] == f"{ROOT}/run-big"] == ["Advanced"]
    assert store.get("run-big") == "z1:small again"


def test_versions_are_revisions_and_rollback_returns_to_the_earlier_one(moto_clients: AwsClients) -> None:
    platform = moto_platform(moto_clients)
    assert platform.current_version("texas") is None and platform.deployed_states() == []
    platform.deploy("texas", timeout=120, progress=lambda _m: None)
    platform.deploy("utah", timeout=120, progress=lambda _m: None)
    assert platform.deployed_states() == ["texas", "utah"]
    before = platform.current_version("texas")
    assert before is not None and (before.app, before.nginx) == (APP_IMAGE, NGINX_IMAGE)
    assert before.ref.endswith(f"/{names_for('texas').family}:1")

    platform.deploy_version("texas", Version(APP_V2, NGINX_V2), timeout=120, progress=lambda _m: None)
    after = platform.current_version("texas")
    assert after is not None and after.app == APP_V2 and after.ref.endswith(":2")
    assert platform.current_version("utah") == Version(
        APP_IMAGE, NGINX_IMAGE, before.ref.replace("texas", "utah")
    )

    platform.rollback("texas", before, timeout=120, progress=lambda _m: None)
    service = moto_clients.ecs.describe_services(cluster=CLUSTER, services=[names_for("texas").service])
    assert service["services"][0]["taskDefinition"] == before.ref  # the very revision, no new one
    assert platform.current_version("texas") == before


def test_rollback_to_a_deregistered_revision_deploys_its_images_again(moto_clients: AwsClients) -> None:
    platform = moto_platform(moto_clients)
    platform.deploy("texas", timeout=120, progress=lambda _m: None)
    before = platform.current_version("texas")
    assert before is not None
    platform.deploy_version("texas", Version(APP_V2, NGINX_V2), timeout=120, progress=lambda _m: None)
    moto_clients.ecs.deregister_task_definition(taskDefinition=before.ref)
    platform.rollback("texas", before, timeout=120, progress=lambda _m: None)
    now = platform.current_version("texas")
    assert now is not None and (now.app, now.nginx) == (APP_IMAGE, NGINX_IMAGE) and now.ref.endswith(":3")


def _rollout(platform: AwsPlatform, states: list[str], *, create_missing: bool = False) -> RolloutRecord:
    records = Records(platform.rollout_records())
    current = current_versions(platform, states, 10)
    plan = make_plan(states, current, wave_size=10, create_missing=create_missing)
    version = platform.prepare_version(progress=lambda _m: None)
    record = new_record(new_rollout_id(), "aws", version, plan, current, gate="deploy", rollback="wave")
    runner = Runner(platform, records, max_parallel=10, timeout=120, gate=deploy_gate, say=lambda _l: None)
    return runner.run(record)


@pytest.mark.slow
def test_a_fleet_rolls_out_in_a_canary_then_waves_of_ten(moto_clients: AwsClients) -> None:
    # 13 states (1 + 10 + 2: full waves and a last one of what is left) prove the waves at a quarter of
    # the 50-state cost; scripts/bench_fleet.py rolls out all 50 and fails unless every one ends on the
    # new version.
    states = list(appsrc.states())[:13]
    clock = FakeClock()  # the deploys' waits advance it: nothing sleeps
    assert _rollout(moto_platform(moto_clients, clock=clock), states, create_missing=True).ok

    platform = moto_platform(moto_clients, clock=clock, app_image=APP_V2)
    record = _rollout(platform, platform.deployed_states())
    assert record.ok, [o for o in record.outcomes.values() if o.result != "done"]
    assert [len(w) for w in record.waves] == [1, 10, 2]
    assert {o.from_version.app for o in record.outcomes.values() if o.from_version} == {APP_IMAGE}
    assert {platform.current_version(s).app for s in states} == {APP_V2}  # type: ignore[union-attr]
    # status --all: every state's version, and the rollout that put it there.
    rows = fleet_rows(platform)
    assert len(rows) == 13 and {r["version"] for r in rows} == {"c" * 12}
    assert {r["last_rollout"]["run_id"] for r in rows} == {record.run_id}


@pytest.mark.slow
def test_the_cli_rolls_out_on_moto_server_with_shared_adaptive_clients(
    moto_server: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[FleetClients] = []
    monkeypatch.setattr(
        aws_platform, "FleetClients", lambda **kw: made.append(FleetClients(**kw)) or made[-1]
    )
    states = "vermont,maine,ohio"
    common = ["--platform", "aws", "--endpoint-url", moto_server, "--data", "boto3", "--gate", "deploy"]
    fast = ["--max-parallel", "2", "--wave-size", "2", "--poll-interval", "0.05", "--json"]
    first = ["--app-image", APP_IMAGE, "--nginx-image", NGINX_IMAGE, "--create-missing"]
    assert main(["rollout", "--states", states, *common, *fast, *first]) == 0
    capsys.readouterr()
    second = ["--app-image", APP_V2, "--nginx-image", NGINX_V2]
    code = main(["rollout", "--states", "all", *common, *fast, *second])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"] and data["waves"] == [["maine"], ["ohio", "vermont"]]
    assert [s["from"]["app"] for s in data["states"]] == [APP_IMAGE] * 3
    assert len(made) == 2 and made[0]._config.retries["mode"] == "adaptive"
    clients = AwsClients(region="us-east-1", endpoint_url=moto_server)
    records = SsmRecordStore(clients).all()
    assert data["run_id"] in records  # the record lives in the account, for any runner
