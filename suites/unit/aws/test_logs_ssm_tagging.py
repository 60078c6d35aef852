"""Log groups, the secret parameter and tag helpers on moto."""

from __future__ import annotations

from humangov_deploy.aws import logs, ssm, tagging
from humangov_deploy.clients import AwsClients


def test_log_group_with_retention_idempotent(clients: AwsClients) -> None:
    group = logs.ensure_log_group(
        clients, "/ecs/humangov-texas", retention_days=14, tags={"humangov:state": "texas"}
    )
    assert group.retention_days == 14 and group.arn.endswith(":log-group:/ecs/humangov-texas")
    assert (
        logs.ensure_log_group(clients, "/ecs/humangov-texas", retention_days=30, tags={}).retention_days == 30
    )
    assert logs.find_log_group(clients, "/ecs/humangov") is None  # prefix of another name is not a match
    assert logs.delete_log_group(clients, "/ecs/humangov-texas") is True
    assert logs.delete_log_group(clients, "/ecs/humangov-texas") is False


def test_secret_is_made_once_and_never_overwritten(clients: AwsClients) -> None:
    made = ssm.ensure_secret(
        clients, "/humangov/texas/secret-key", tags={"humangov:state": "texas"}, description="d"
    )
    value = clients.ssm.get_parameter(Name=made.name, WithDecryption=True)["Parameter"]["Value"]
    assert len(value) >= 48 and made.tags == {"humangov:state": "texas"}
    assert made.arn.endswith(":parameter/humangov/texas/secret-key")
    again = ssm.ensure_secret(clients, "/humangov/texas/secret-key", tags={}, description="d")
    assert clients.ssm.get_parameter(Name=again.name, WithDecryption=True)["Parameter"]["Value"] == value
    ssm.add_tags(clients, made.name, {"humangov:data": "boto3"})
    found = ssm.find_parameter(clients, made.name)
    assert found is not None and found.tags["humangov:data"] == "boto3"
    assert (
        ssm.delete_parameter(clients, made.name) is True and ssm.delete_parameter(clients, made.name) is False
    )


def test_tag_shapes_round_trip() -> None:
    tags = {"humangov:state": "texas", "humangov:run-id": "r"}
    assert tagging.from_list(tagging.key_value(tags)) == tags
    assert tagging.from_list(tagging.lower_key_value(tags)) == tags
    (spec,) = tagging.ec2_tag_specifications("security-group", tags, "sg-name")
    assert tagging.from_list(spec["Tags"]) == {**tags, "Name": "sg-name"}  # type: ignore[arg-type]


def test_find_tagged_filters_by_tag(clients: AwsClients) -> None:
    logs.ensure_log_group(
        clients, "/a", retention_days=1, tags={"humangov:state": "texas", "humangov:managed-by": "humangov"}
    )
    logs.ensure_log_group(
        clients, "/b", retention_days=1, tags={"humangov:state": "utah", "humangov:managed-by": "humangov"}
    )
    logs.ensure_log_group(clients, "/c", retention_days=1, tags={"other": "x"})
    texas = tagging.find_tagged(clients, {"humangov:state": "texas"})
    assert [r.resource.removesuffix(":*") for r in texas] == ["log-group:/a"]
    managed = tagging.find_tagged(clients, {"humangov:managed-by": None})
    assert sorted(r.tags["humangov:state"] for r in managed) == ["texas", "utah"]
    assert {r.service for r in managed} == {"logs"}
