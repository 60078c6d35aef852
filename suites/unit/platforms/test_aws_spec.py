"""The pure request builders of the aws platform: policies, task definition, service, health check."""

from __future__ import annotations

import json

import pytest

from humangov_deploy import appsrc
from humangov_deploy.naming import names_for
from humangov_deploy.platforms import aws_spec as spec

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
    assert settings["healthCheckGracePeriodSeconds"] == spec.HEALTH_CHECK_GRACE_SECONDS
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
    from humangov_deploy import images as images_api
    from humangov_deploy.aws import ecr as ecr_api
    from humangov_deploy.clients import AwsClients
    from humangov_deploy.platforms.aws_data import built_images

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
