"""The aws platform on moto: every resource's configuration, idempotent redeploy, teardown, isolation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_testkit import APP_IMAGE, NGINX_IMAGE, FakeClock, inventory, moto_platform, record_calls

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws.call import AwsError
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import CLUSTER, names_for
from humangov_deploy.platforms import get_platform
from humangov_deploy.platforms.aws.platform import AwsPlatform

MUTATING_PREFIXES = (
    "Create",
    "Put",
    "Register",
    "Update",
    "Modify",
    "Authorize",
    "Revoke",
    "Delete",
    "Deregister",
    "Set",
    "Tag",
    "Add",
)


def deployed(moto_clients: AwsClients, state: str = "texas", **options: Any) -> AwsPlatform:
    platform = moto_platform(moto_clients, **options)
    platform.deploy(state, timeout=300, progress=lambda _m: None)
    return platform


def task_definition(clients: AwsClients, state: str) -> dict[str, Any]:
    return clients.ecs.describe_task_definition(taskDefinition=names_for(state).family)["taskDefinition"]


def test_redeploy_changes_nothing(moto_clients: AwsClients) -> None:
    platform = deployed(moto_clients)
    before = inventory(moto_clients, "texas")
    secret = moto_clients.ssm.get_parameter(Name="/humangov/texas/secret-key", WithDecryption=True)[
        "Parameter"
    ]
    calls = record_calls(moto_clients)
    platform.deploy("texas", timeout=300, progress=lambda _m: None)
    mutating = [(s, op) for s, op, _p in calls if op.startswith(MUTATING_PREFIXES)]
    assert mutating == []
    assert inventory(moto_clients, "texas") == before
    again = moto_clients.ssm.get_parameter(Name="/humangov/texas/secret-key", WithDecryption=True)[
        "Parameter"
    ]
    assert again["Value"] == secret["Value"]  # the key survives redeploys (sessions stay valid)


def test_new_image_rolls_out_a_new_revision(moto_clients: AwsClients) -> None:
    deployed(moto_clients)
    new_image = APP_IMAGE.replace("a" * 64, "c" * 64)
    calls = record_calls(moto_clients, ("ecs",))
    moto_platform(moto_clients, app_image=new_image).deploy("texas", timeout=300, progress=lambda _m: None)
    td = task_definition(moto_clients, "texas")
    assert td["revision"] == 2
    assert td["containerDefinitions"][0]["image"] == new_image
    svc = moto_clients.ecs.describe_services(cluster=CLUSTER, services=["humangov-texas-service"])[
        "services"
    ][0]
    assert svc["taskDefinition"] == td["taskDefinitionArn"]
    ops = [op for _s, op, _p in calls]
    assert ops.count("RegisterTaskDefinition") == 1 and ops.count("UpdateService") == 1
    assert "CreateService" not in ops


def test_changed_desired_count_updates_the_service_only(moto_clients: AwsClients) -> None:
    deployed(moto_clients)
    calls = record_calls(moto_clients, ("ecs",))
    # wait none: moto leaves the deployment's desiredCount at 2 when the service's changes.
    moto_platform(moto_clients, desired_count=3, wait="none").deploy(
        "texas", timeout=300, progress=lambda _m: None
    )
    ops = [op for _s, op, _p in calls]
    assert "RegisterTaskDefinition" not in ops
    (update,) = [p for _s, op, p in calls if op == "UpdateService"]
    assert update["desiredCount"] == 3


def test_destroy_removes_everything_of_the_state_and_the_unused_cluster(moto_clients: AwsClients) -> None:
    platform = deployed(moto_clients)
    assert len(inventory(moto_clients, "texas")) >= 12
    platform.destroy("texas", timeout=300, progress=lambda _m: None)
    assert inventory(moto_clients, "texas") == []
    clusters = moto_clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    assert not platform.status("texas").exists


def test_destroy_twice_and_destroy_of_nothing_are_fine(moto_clients: AwsClients) -> None:
    platform = deployed(moto_clients)
    platform.destroy("texas", timeout=300, progress=lambda _m: None)
    lines: list[str] = []
    platform.destroy("texas", timeout=300, progress=lines.append)
    assert lines == ["texas: nothing to remove"]
    lines.clear()
    platform.destroy("utah", timeout=300, progress=lines.append)
    assert lines == ["utah: nothing to remove"]


def test_destroy_after_a_half_finished_deploy(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_subnets(*_a: Any, **_k: Any) -> Any:
        raise ConfigError("simulated: the deploy dies after data, log group and roles")

    monkeypatch.setattr(ec2_api, "default_subnets", no_subnets)
    platform = moto_platform(moto_clients)
    with pytest.raises(ConfigError, match="simulated"):
        platform.deploy("texas", timeout=300, progress=lambda _m: None)
    left = inventory(moto_clients, "texas")
    assert any(i.startswith("role ") for i in left) and any(i.startswith("table ") for i in left)
    monkeypatch.undo()
    moto_platform(moto_clients).destroy("texas", timeout=300, progress=lambda _m: None)
    assert inventory(moto_clients, "texas") == []


def test_destroy_uses_the_data_backend_recorded_at_deploy(moto_clients: AwsClients) -> None:
    deployed(moto_clients)
    used: list[str] = []

    class Recorder:
        kind = "recorded"

        def destroy(self, state: str, *, run_id: str, progress: Any, deadline: Any = None) -> None:
            assert deadline is not None  # the destroy's one deadline is handed down
            used.append(state)

    platform = moto_platform(moto_clients, data="terraform")  # deploy's default; destroy must not use it
    platform._data = lambda kind: (used.append(kind), Recorder())[1]  # type: ignore[method-assign]
    platform.destroy("texas", timeout=300, progress=lambda _m: None)
    assert used == ["boto3", "texas"]


def test_keep_data_leaves_table_and_bucket(moto_clients: AwsClients) -> None:
    deployed(moto_clients)
    moto_platform(moto_clients, keep_data=True).destroy("texas", timeout=300, progress=lambda _m: None)
    left = inventory(moto_clients, "texas")
    assert [i.split(" ")[0] for i in left if not i.startswith("tagged")] == ["bucket", "table"]


def test_tenant_isolation_between_two_states(moto_clients: AwsClients) -> None:
    deployed(moto_clients, "california")
    deployed(moto_clients, "texas")
    iam = moto_clients.iam
    for state, other in (("california", "texas"), ("texas", "california")):
        names = names_for(state)
        for role, policy in (
            (names.task_role, names.task_policy),
            (names.execution_role, names.execution_policy),
        ):
            document = json.dumps(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])
            assert other not in document
            assert state in document
        env = task_definition(moto_clients, state)["containerDefinitions"][0]["environment"]
        assert other not in json.dumps(env)
    # Destroying one state leaves the other (and the cluster it uses) alone.
    moto_platform(moto_clients).destroy("texas", timeout=300, progress=lambda _m: None)
    assert inventory(moto_clients, "texas") == []
    assert len(inventory(moto_clients, "california")) >= 12
    clusters = moto_clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"]
    assert [c["status"] for c in clusters] == ["ACTIVE"]


def test_status_reports_what_exists(moto_clients: AwsClients) -> None:
    platform = moto_platform(moto_clients)
    assert not platform.status("texas").exists
    deployed(moto_clients)
    status = platform.status("texas")
    assert status.url is not None and status.url.startswith("http://humangov-texas-lb")
    assert status.table == "humangov-texas-dynamodb"
    assert status.bucket is not None and status.bucket.startswith("humangov-texas-s3-")
    assert status.resources["service"]["desired"] == 2
    assert status.to_json()["state"] == "texas"
    assert platform.data_clients("texas") is moto_clients


def test_from_options_takes_its_options_and_ignores_the_rest() -> None:
    platform = get_platform(
        "aws",
        region="eu-west-1",
        endpoint_url="http://127.0.0.1:1",
        run_id="run-1",
        data="boto3",
        desired_count=3,
        app_image=APP_IMAGE,
        nginx_image=NGINX_IMAGE,
        wait="stable",
        state="texas",
        timeout=5,
        json=True,
        command="deploy",
        something_local=True,
    )
    assert isinstance(platform, AwsPlatform)
    assert (platform.clients.region, platform.clients.endpoint_url) == ("eu-west-1", "http://127.0.0.1:1")
    assert (platform.options.data, platform.options.desired_count, platform.options.wait) == (
        "boto3",
        3,
        "stable",
    )
    assert platform.run_id == "run-1"
    assert platform.images(lambda _m: None) == {"app": APP_IMAGE, "nginx": NGINX_IMAGE}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"app_image": APP_IMAGE}, "both --app-image and --nginx-image"),
        ({"data": "cloudformation"}, "unknown data backend"),
        ({"wait": "forever"}, "unknown wait mode"),
        ({"desired_count": 0}, "at least 1"),
    ],
)
def test_from_options_rejects_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_platform("aws", region="us-east-1", **options)


def test_no_default_vpc_is_a_clear_error(moto_clients: AwsClients) -> None:
    vpc = ec2_api.default_vpc(moto_clients)
    for subnet in moto_clients.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
        moto_clients.ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    moto_clients.ec2.delete_vpc(VpcId=vpc)
    with pytest.raises(ConfigError, match="no default VPC"):
        moto_platform(moto_clients).deploy("texas", timeout=300, progress=lambda _m: None)


def test_deploy_retries_a_role_ecs_cannot_assume_yet(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_register = ecs_api.register_task_definition
    attempts: list[int] = []

    def not_yet(*args: Any, **kwargs: Any) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise AwsError(
                "ecs", "RegisterTaskDefinition", "ClientException", "Role cannot be assumed by ECS tasks"
            )
        return real_register(*args, **kwargs)

    monkeypatch.setattr(ecs_api, "register_task_definition", not_yet)
    clock = FakeClock()
    lines: list[str] = []
    moto_platform(moto_clients, clock=clock).deploy("texas", timeout=300, progress=lines.append)
    assert len(attempts) == 2 and clock.sleeps == [2.0]
    assert any("IAM role not yet usable" in line for line in lines)


def test_deploy_recreates_a_cluster_deleted_under_its_feet(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = ecs_api.create_service
    attempts: list[int] = []

    def cluster_gone_once(clients: AwsClients, spec: dict[str, Any]) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            ecs_api.delete_cluster(clients, CLUSTER)  # a concurrent destroy of the last other state
            raise AwsError("ecs", "CreateService", "ClusterNotFoundException", "Cluster not found.")
        return real_create(clients, spec)

    monkeypatch.setattr(ecs_api, "create_service", cluster_gone_once)
    lines: list[str] = []
    moto_platform(moto_clients).deploy("texas", timeout=300, progress=lines.append)
    assert len(attempts) == 2
    assert any("recreating it" in line for line in lines)
    assert ecs_api.find_service(moto_clients, CLUSTER, "humangov-texas-service") is not None
