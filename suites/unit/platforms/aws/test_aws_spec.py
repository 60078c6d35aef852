"""The pure request builders of the aws platform: policies, task definition, service, health check."""

from __future__ import annotations

import json
from typing import Any

import pytest
from iam_eval import Request, evaluate, granted

from humangov_deploy import appsrc, naming
from humangov_deploy.naming import names_for
from humangov_deploy.platforms.aws import spec

ACCOUNT = spec.Account("123456789012", "aws", "us-east-1")


def refs(state: str) -> spec.DataRefs:
    table = appsrc.schema().table_name(state)
    bucket = f"humangov-{state}-s3-abcd"
    return spec.DataRefs(
        table, bucket, f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}", f"arn:aws:s3:::{bucket}"
    )


@pytest.mark.parametrize("state", appsrc.states())
def test_task_role_policy_names_only_its_own_state(state: str) -> None:
    document = json.dumps(spec.task_role_policy(refs(state)))
    others = [s for s in appsrc.states() if s != state and f"humangov-{s}-" in document]
    assert others == []
    assert f"humangov-{state}-dynamodb" in document and f"humangov-{state}-s3-abcd" in document
    assert '"*"' not in document and "dynamodb:*" not in document and "s3:*" not in document


def test_execution_policy_narrows_the_managed_policy() -> None:
    policy = spec.execution_role_policy(
        account=ACCOUNT,
        log_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:/ecs/humangov-texas",
        secret_arn="arn:aws:ssm:us-east-1:123456789012:parameter/humangov/texas/secret-key",
        images=["123456789012.dkr.ecr.us-east-1.amazonaws.com/humangov-app:v1", "nginx:1.27"],
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["EcrPull"]["Resource"] == ["arn:aws:ecr:us-east-1:123456789012:repository/humangov-app"]
    assert by_sid["EcrLogin"]["Resource"] == "*"  # GetAuthorizationToken cannot be scoped
    assert by_sid["SecretKey"]["Action"] == ["ssm:GetParameters"]
    without_ecr = spec.execution_role_policy(
        account=ACCOUNT, log_group_arn="arn:x", secret_arn="arn:y", images=["nginx:1.27", "app:dev"]
    )
    assert {s["Sid"] for s in without_ecr["Statement"]} == {"Logs", "SecretKey"}


@pytest.mark.parametrize(
    ("image", "arn"),
    [
        (
            "1.dkr.ecr.eu-west-1.amazonaws.com/humangov-app@sha256:ab",
            "arn:aws:ecr:eu-west-1:1:repository/humangov-app",
        ),
        ("1.dkr.ecr.eu-west-1.amazonaws.com/team/app:v2", "arn:aws:ecr:eu-west-1:1:repository/team/app"),
        ("1.dkr.ecr.eu-west-1.amazonaws.com/app", "arn:aws:ecr:eu-west-1:1:repository/app"),
        ("1.dkr.ecr.eu-west-1.amazonaws.com/app:v1@sha256:ab", "arn:aws:ecr:eu-west-1:1:repository/app"),
        ("docker.io/library/nginx:1.27", None),
        ("localhost:5000/app:v1", None),
    ],
)
def test_ecr_repository_arn(image: str, arn: str | None) -> None:
    assert spec.ecr_repository_arn(image, ACCOUNT) == arn


def test_trust_policy_limits_the_assuming_account() -> None:
    (statement,) = spec.ecs_tasks_trust(ACCOUNT)["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"}
    (plain,) = spec.ecs_tasks_trust()["Statement"]
    assert "Condition" not in plain and plain["Principal"] == statement["Principal"]


def test_health_check_turns_a_task_healthy_in_seconds() -> None:
    check = spec.TARGET_GROUP_HEALTH_CHECK
    seconds_to_healthy = check["HealthCheckIntervalSeconds"] * check["HealthyThresholdCount"]
    assert seconds_to_healthy <= 10
    assert check["HealthCheckTimeoutSeconds"] < check["HealthCheckIntervalSeconds"]
    assert check["HealthCheckPath"] == "/healthz"
    assert int(spec.TARGET_GROUP_ATTRIBUTES["deregistration_delay.timeout_seconds"]) <= 10


def test_service_settings_have_the_circuit_breaker_and_a_grace_period() -> None:
    settings = spec.service_settings(
        names=names_for("texas"),
        desired_count=2,
        target_group_arn="arn:tg",
        subnets=["s-1", "s-2"],
        task_security_group="sg-1",
    )
    assert settings["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    # The README's contract: ECS ignores failing health checks for 30 s after a task starts.
    assert settings["healthCheckGracePeriodSeconds"] == 30
    assert settings["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
    create = spec.create_service_spec(
        names=names_for("texas"), task_definition_arn="arn:td", settings=settings
    )
    assert (create["cluster"], create["serviceName"], create["launchType"]) == (
        "humangov-cluster",
        "humangov-texas-service",
        "FARGATE",
    )


def test_fingerprint_is_stable_and_sensitive() -> None:
    a = {"x": [1, 2], "y": {"b": 1, "a": 2}}
    assert spec.fingerprint(a) == spec.fingerprint({"y": {"a": 2, "b": 1}, "x": [1, 2]})
    assert spec.fingerprint(a) != spec.fingerprint({"x": [2, 1], "y": {"b": 1, "a": 2}})


def test_built_images_builds_then_pushes_with_the_helpers_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from humangov_deploy.aws import ecr as ecr_api
    from humangov_deploy.build import images as images_api
    from humangov_deploy.clients import AwsClients
    from humangov_deploy.platforms.aws.data import built_images

    calls: list[tuple[str, object]] = []
    built = images_api.ImageSet(app="humangov-app:abc", nginx="humangov-nginx:abc")

    def ensure_images(**kwargs: object) -> images_api.ImageSet:
        calls.append(("ensure", kwargs["base"]))
        return built

    def push_images(clients: object, images: object, **_: object) -> dict[str, str]:
        calls.append(("push", images))
        return {"app": "r/humangov-app@sha256:1", "nginx": "r/humangov-nginx@sha256:2"}

    monkeypatch.setattr(images_api, "ensure_images", ensure_images)
    monkeypatch.setattr(ecr_api, "push_images", push_images)
    provide = built_images(AwsClients(region="us-east-1"), base="official")
    assert provide(lambda _m: None) == {
        "app": "r/humangov-app@sha256:1",
        "nginx": "r/humangov-nginx@sha256:2",
    }
    assert calls == [("ensure", "official"), ("push", built)]


# --- partition and permissions boundary --------------------------------------------------------------------
GOVCLOUD = spec.Account("123456789012", "aws-us-gov", "us-gov-west-1")


def _arns(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("arn:") else []
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arns(v)]
    if isinstance(value, list):
        return [a for v in value for a in _arns(v)]
    return []


def _role_policies(account: spec.Account, state: str) -> list[dict[str, Any]]:
    """The task and execution roles' policies for a state, from ARNs as AWS names them in `account`."""
    names = names_for(state)
    table, bucket = appsrc.schema().table_name(state), f"humangov-{state}-s3-abcd"
    data = spec.DataRefs(
        table,
        bucket,
        account.arn("dynamodb", f"table/{table}"),
        account.arn("s3", bucket, regional=False, account=False),
    )
    registry = f"{account.id}.dkr.ecr.{account.region}.amazonaws.com"
    execution = spec.execution_role_policy(
        account=account,
        log_group_arn=account.arn("logs", f"log-group:{names.log_group}"),
        secret_arn=account.arn("ssm", f"parameter{names.secret_parameter}"),
        images=[f"{registry}/humangov-app@sha256:{'a' * 64}", f"{registry}/team/nginx:v1"],
    )
    return [spec.task_role_policy(data), execution]


def test_a_govcloud_account_gets_govcloud_arns_in_every_policy_and_trust() -> None:
    documents = [
        *_role_policies(GOVCLOUD, "texas"),
        spec.ecs_tasks_trust(GOVCLOUD),
        spec.permissions_boundary_policy(GOVCLOUD.partition),
        {"boundary": spec.permissions_boundary_arn(GOVCLOUD)},
    ]
    for document in documents:
        arns = _arns(document)
        assert arns and [a for a in arns if not a.startswith("arn:aws-us-gov:")] == [], document


def test_the_boundary_is_a_policy_of_the_account_at_the_root_path() -> None:
    assert spec.permissions_boundary_arn(GOVCLOUD) == (
        f"arn:aws-us-gov:iam::123456789012:policy/{naming.PERMISSIONS_BOUNDARY}"
    )


@pytest.mark.parametrize("account", [ACCOUNT, GOVCLOUD], ids=lambda a: a.partition)
@pytest.mark.parametrize("state", appsrc.states())
def test_the_boundary_allows_everything_the_roles_are_granted(account: spec.Account, state: str) -> None:
    # A grant outside the boundary would silently fail in AWS: the task could not read its own data.
    boundary = spec.permissions_boundary_policy(account.partition)
    requests = [r for policy in _role_policies(account, state) for r in granted(policy)]
    assert requests
    assert [r for r in requests if evaluate(boundary, r) != "allow"] == []


@pytest.mark.parametrize(
    "request_",
    [
        Request("iam:CreateRole", GOVCLOUD.arn("iam", "role/admin", regional=False)),
        Request("iam:PassRole", GOVCLOUD.arn("iam", "role/humangov/x", regional=False)),
        Request("sts:AssumeRole", GOVCLOUD.arn("iam", "role/admin", regional=False)),
        Request("dynamodb:DeleteTable", GOVCLOUD.arn("dynamodb", "table/humangov-texas-dynamodb")),
        Request("dynamodb:Scan", GOVCLOUD.arn("dynamodb", "table/humangov-texas-dynamodb")),
        Request("dynamodb:GetItem", GOVCLOUD.arn("dynamodb", "table/payroll")),
        Request("s3:GetObject", "arn:aws-us-gov:s3:::payroll/x.pdf"),
        Request("s3:DeleteBucket", "arn:aws-us-gov:s3:::humangov-texas-s3-abcd"),
        Request("s3:PutBucketPolicy", "arn:aws-us-gov:s3:::humangov-texas-s3-abcd"),
        Request("ssm:GetParameters", GOVCLOUD.arn("ssm", "parameter/other/secret")),
        Request("ssm:PutParameter", GOVCLOUD.arn("ssm", "parameter/humangov/texas/secret-key")),
        Request("kms:Decrypt", GOVCLOUD.arn("kms", "key/k")),  # only through SSM or DynamoDB
        Request("ecr:PutImage", GOVCLOUD.arn("ecr", "repository/humangov-app")),
        Request("ecs:RunTask", "*"),
        # Another partition's resources are outside it too.
        Request("s3:GetObject", "arn:aws:s3:::humangov-texas-s3-abcd/x.pdf"),
    ],
    ids=lambda r: f"{r.action}:{r.resource.split(':', 5)[-1]}",
)
def test_the_boundary_caps_a_role_at_a_humangov_task(request_: Request) -> None:
    assert evaluate(spec.permissions_boundary_policy(GOVCLOUD.partition), request_) != "allow"


def test_the_boundary_lets_ssm_decrypt_the_secret_for_the_role() -> None:
    boundary = spec.permissions_boundary_policy(GOVCLOUD.partition)
    via_ssm = Request(
        "kms:Decrypt", GOVCLOUD.arn("kms", "key/k"), {"kms:ViaService": "ssm.us-gov-west-1.amazonaws.com"}
    )
    assert evaluate(boundary, via_ssm) == "allow"
