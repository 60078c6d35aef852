"""`sweep`, its leftovers and the waits of `destroy`, pinned where `tox -e mutants` found them loose.

The decisions are tested on small fakes (the AWS calls the module makes are replaced at the module's
boundary, `humangov_deploy.aws.*`), so every boundary case is cheap: a resource exactly as old as the
limit, a state with no creation time, several shared resources, a tag missing. test_aws_teardown.py
proves the same paths against moto.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fake_clock import FakeClock

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws import iam as iam_api
from humangov_deploy.aws import logs as logs_api
from humangov_deploy.aws import ssm as ssm_api
from humangov_deploy.aws.call import AwsError
from humangov_deploy.aws.ec2 import SecurityGroup
from humangov_deploy.aws.iam import Role
from humangov_deploy.aws.tagging import TaggedResource
from humangov_deploy.data import state as data_api
from humangov_deploy.errors import DeploymentFailed, DeployTimeout
from humangov_deploy.naming import (
    SHARED_STATE,
    TAG_CREATED_AT,
    TAG_DATA,
    TAG_MANAGED_BY,
    TAG_RUN_ID,
    TAG_STATE,
    names_for,
)
from humangov_deploy.platforms.aws import teardown as aws_teardown
from humangov_deploy.platforms.base import Leftover
from humangov_deploy.waits import Deadline

NOW = datetime(2026, 11, 26, 17, 0, 0, tzinfo=UTC)
ACCOUNT_ARN = "arn:aws:{service}:us-east-1:123456789012:{resource}"
CLUSTER_ARN = ACCOUNT_ARN.format(service="ecs", resource="cluster/humangov-cluster")
REPO_ARN = ACCOUNT_ARN.format(service="ecr", resource="repository/humangov-app")
OLDER_THAN = 3600.0


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


class Ecr:
    """ECR as find_leftovers and _remove_shared use it; `error` is raised by the named operation."""

    def __init__(
        self, repositories: list[dict[str, Any]] | None = None, tags: dict[str, list[Any]] | None = None
    ):
        self.repositories = repositories or []
        self.tags = tags or {}
        self.errors: dict[str, ClientError] = {}
        self.deleted: list[dict[str, Any]] = []

    def _maybe_fail(self, operation: str) -> None:
        if operation in self.errors:
            raise self.errors[operation]

    def get_paginator(self, name: str) -> Any:
        assert name == "describe_repositories"
        ecr = self

        class Pages:
            def paginate(self) -> Any:
                ecr._maybe_fail("DescribeRepositories")
                yield {"repositories": ecr.repositories}

        return Pages()

    def list_tags_for_resource(self, resourceArn: str) -> dict[str, Any]:
        self._maybe_fail("ListTagsForResource")
        return {"tags": self.tags.get(resourceArn, [])}

    def delete_repository(self, **kwargs: Any) -> None:
        self.deleted.append(kwargs)
        self._maybe_fail("DeleteRepository")


def error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} here"}}, operation)


def platform(ecr: Ecr | None = None) -> Any:
    clock = FakeClock()
    return SimpleNamespace(
        clients=SimpleNamespace(ecr=ecr or Ecr()),
        options=SimpleNamespace(poll_interval=5.0),
        clock=clock,
        sleep=clock.sleep,
        now=lambda: NOW,
    )


# -- sweep's decisions -------------------------------------------------------------------------------------
class Sweep:
    """sweep() over these leftovers, with destroy, the cluster's users and the shared removal recorded."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, found: list[Leftover], users: list[str] | None = None
    ):
        self.platform = platform()
        self.destroyed: list[tuple[str, Deadline]] = []
        self.removed_shared: list[str] = []
        self.lines: list[str] = []
        monkeypatch.setattr(aws_teardown, "find_leftovers", lambda _platform: list(found))
        monkeypatch.setattr(aws_teardown, "_cluster_users", lambda *_args: list(users or []))

        def destroy(_platform: Any, names: Any, *, deadline: Deadline, progress: Any) -> list[str]:
            self.destroyed.append((names.state, deadline))
            return []

        monkeypatch.setattr(aws_teardown, "destroy_stack", destroy)
        monkeypatch.setattr(
            aws_teardown,
            "_remove_shared",
            lambda _p, leftover, _progress: self.removed_shared.append(leftover.id),
        )

    def run(self, **kwargs: Any) -> Any:
        options: dict[str, Any] = {"older_than": OLDER_THAN, "dry_run": False, "timeout": 600.0}
        return aws_teardown.sweep(self.platform, progress=self.lines.append, **(options | kwargs))


def left(state: str, age: float | None, kind: str = "ecs:service", run_id: str | None = None) -> Leftover:
    created = ago(age) if age is not None else None
    return Leftover(state, kind, f"arn:{state}:{kind}:{age}:{run_id}", created, run_id)


def shared(age: float | None, arn: str = CLUSTER_ARN, kind: str = "ecs:cluster") -> Leftover:
    return Leftover(SHARED_STATE, kind, arn, ago(age) if age is not None else None, None)


def test_a_state_exactly_as_old_as_the_limit_is_swept_and_the_report_keeps_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sweep = Sweep(monkeypatch, [left("texas", OLDER_THAN), left("utah", OLDER_THAN - 1)])

    report = sweep.run()

    assert report.older_than == OLDER_THAN and report.dry_run is False
    assert report.removed_states == ["texas"]
    assert report.skipped == {"utah": f"its newest resource is only {int(OLDER_THAN - 1)}s old"}
    assert [state for state, _ in sweep.destroyed] == ["texas"]
    assert sweep.lines == ["sweeping texas"]
    # destroy gets the one deadline, on the platform's clock.
    ((_state, deadline),) = sweep.destroyed
    assert deadline.clock is sweep.platform.clock and deadline.remaining() == 600.0


def test_a_state_without_any_creation_time_is_kept_and_keeps_the_shared_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = [left("alabama", None), left("ohio", None), left("texas", 2 * OLDER_THAN), shared(2 * OLDER_THAN)]
    sweep = Sweep(monkeypatch, found)

    report = sweep.run()

    assert report.skipped == {
        "alabama": "no creation time on any of its resources",
        "ohio": "no creation time on any of its resources",
        CLUSTER_ARN: "still used by alabama, ohio",
    }
    assert report.removed_states == ["texas"] and report.removed_shared == [] and sweep.removed_shared == []


def test_states_not_asked_for_are_left_alone_and_the_others_still_swept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = [left("alabama", 2 * OLDER_THAN), left("texas", 2 * OLDER_THAN), shared(2 * OLDER_THAN)]
    sweep = Sweep(monkeypatch, found)

    report = sweep.run(states=["Texas"])

    assert report.removed_states == ["texas"] and report.removed_shared == []
    assert "alabama" not in report.skipped and [s for s, _ in sweep.destroyed] == ["texas"]


def test_a_run_id_keeps_every_resource_of_the_states_it_touched(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = left("texas", 2 * OLDER_THAN, run_id="run-1")
    sibling = left("texas", 2 * OLDER_THAN, kind="iam:role", run_id=None)  # same state, no run id tag
    other = left("ohio", 2 * OLDER_THAN, run_id="run-2")
    sweep = Sweep(monkeypatch, [ours, sibling, other])

    report = sweep.run(run_id="run-1", dry_run=True)

    assert report.found == [ours, sibling]
    assert report.removed_states == ["texas"] and sweep.destroyed == [] and sweep.lines == []


def test_shared_resources_young_or_of_unknown_age_are_kept_each_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    young = shared(OLDER_THAN - 1)
    unknown = shared(None, arn=REPO_ARN, kind="ecr:repository")
    edge = shared(OLDER_THAN, arn=REPO_ARN + "-edge", kind="ecr:repository")
    sweep = Sweep(monkeypatch, [young, unknown, edge])

    report = sweep.run()

    reason = "shared resource too young or of unknown age"
    assert report.skipped == {CLUSTER_ARN: reason, REPO_ARN: reason}
    assert report.removed_shared == [edge.id] and sweep.removed_shared == [edge.id]


def test_every_shared_resource_in_use_says_by_whom(monkeypatch: pytest.MonkeyPatch) -> None:
    old = 2 * OLDER_THAN
    sweep = Sweep(
        monkeypatch, [shared(old), shared(old, REPO_ARN, "ecr:repository")], ["service a", "state b"]
    )
    report = sweep.run()
    assert report.skipped == {
        CLUSTER_ARN: "still used by service a, state b",
        REPO_ARN: "still used by service a, state b",
    }

    kept = [left("ohio", 1.0), left("utah", 1.0), shared(old), shared(old, REPO_ARN, "ecr:repository")]
    report = Sweep(monkeypatch, kept).run()
    assert report.skipped[CLUSTER_ARN] == report.skipped[REPO_ARN] == "still used by ohio, utah"


# -- what a sweep removes of the shared resources ----------------------------------------------------------
def test_the_shared_cluster_and_repository_are_deleted_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    deleted: list[str] = []
    monkeypatch.setattr(ecs_api, "active_service_names", lambda _clients, _name: [])
    monkeypatch.setattr(ecs_api, "delete_cluster", lambda _clients, name: deleted.append(name))
    ecr = Ecr()
    lines: list[str] = []
    target = platform(ecr)

    aws_teardown._remove_shared(target, shared(1.0), lines.append)
    aws_teardown._remove_shared(target, shared(1.0, REPO_ARN, "ecr:repository"), lines.append)

    assert deleted == ["humangov-cluster"]
    assert ecr.deleted == [{"repositoryName": "humangov-app", "force": True}]
    assert lines == ["deleting cluster humangov-cluster", "deleting repository humangov-app"]


def test_a_repository_already_gone_is_fine_and_other_errors_name_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ecr = Ecr()
    ecr.errors["DeleteRepository"] = error("RepositoryNotFoundException", "DeleteRepository")
    aws_teardown._remove_shared(platform(ecr), shared(1.0, REPO_ARN, "ecr:repository"), lambda _m: None)

    ecr.errors["DeleteRepository"] = error("AccessDeniedException", "DeleteRepository")
    with pytest.raises(AwsError) as failure:
        aws_teardown._remove_shared(platform(ecr), shared(1.0, REPO_ARN, "ecr:repository"), lambda _m: None)
    assert (failure.value.service, failure.value.operation, failure.value.code) == (
        "ecr",
        "DeleteRepository",
        "AccessDeniedException",
    )


# -- what counts as a leftover -----------------------------------------------------------------------------
RUN_ID = "20261126T120000Z-ab12"


class Leftovers:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, tagged: list[TaggedResource], **kwargs: Any) -> None:
        self.ecr = Ecr(kwargs.get("repositories"), kwargs.get("repository_tags"))
        monkeypatch.setattr(aws_teardown, "find_tagged", lambda _clients, _tags: list(tagged))
        monkeypatch.setattr(aws_teardown, "data_leftovers", lambda _clients: list(kwargs.get("data", [])))
        monkeypatch.setattr(iam_api, "list_roles", lambda _clients, _path: list(kwargs.get("roles", [])))
        services = kwargs.get("services", set())
        clusters = kwargs.get("clusters", set())
        monkeypatch.setattr(
            ecs_api,
            "find_service",
            lambda _c, cluster, name: object() if (cluster, name) in services else None,
        )
        monkeypatch.setattr(ecs_api, "find_cluster", lambda _c, name: object() if name in clusters else None)

    def find(self) -> list[Leftover]:
        return aws_teardown.find_leftovers(platform(self.ecr))


def tagged(service: str, resource: str, **tags: str) -> TaggedResource:
    return TaggedResource(
        ACCOUNT_ARN.format(service=service, resource=resource), {TAG_MANAGED_BY: "humangov", **tags}
    )


def test_deleted_services_and_clusters_are_not_leftovers_but_what_follows_them_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resources = [
        tagged("ecs", "service/humangov-cluster/humangov-texas-service", **{TAG_STATE: "texas"}),
        tagged("ecs", "cluster/humangov-cluster", **{TAG_STATE: "shared"}),
        tagged("ecs", "service/humangov-cluster/humangov-utah-service", **{TAG_STATE: "utah"}),
        tagged("logs", "log-group:humangov-texas:*", **{TAG_STATE: "texas"}),
    ]
    found = Leftovers(monkeypatch, resources, services={("humangov-cluster", "humangov-utah-service")}).find()

    assert [(f.state, f.kind, f.id) for f in found] == [
        ("texas", "logs:log-group", resources[3].arn),
        ("utah", "ecs:service", resources[2].arn),
    ]


def test_a_live_cluster_is_a_leftover(monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = tagged("ecs", "cluster/humangov-cluster", **{TAG_STATE: "shared"})
    found = Leftovers(monkeypatch, [cluster], clusters={"humangov-cluster"}).find()
    assert [(f.kind, f.id) for f in found] == [("ecs:cluster", cluster.arn)]


def test_creation_time_from_the_tag_else_the_run_id_and_state_unknown_without_a_tag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resources = [
        tagged(
            "ssm",
            "parameter/humangov/texas/secret-key",
            **{TAG_STATE: "texas", TAG_CREATED_AT: "2026-11-20T08:00:00Z"},
        ),
        tagged("logs", "log-group:/ecs/humangov-texas", **{TAG_STATE: "texas", TAG_RUN_ID: RUN_ID}),
        tagged("ec2", "security-group/sg-1"),
    ]
    found = Leftovers(monkeypatch, resources).find()

    assert [(f.state, f.kind, f.created, f.run_id) for f in found] == [
        ("?", "ec2:security-group", None, None),
        ("texas", "logs:log-group", datetime(2026, 11, 26, 12, 0, tzinfo=UTC), RUN_ID),
        ("texas", "ssm:parameter", datetime(2026, 11, 20, 8, 0, tzinfo=UTC), None),
    ]


def test_roles_are_leftovers_with_their_own_creation_date_as_a_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = datetime(2026, 11, 1, tzinfo=UTC)
    arn = "arn:aws:iam::123456789012:role/humangov/humangov-texas-task-role"
    roles = [
        Role("humangov-texas-task-role", arn, "/humangov/", made, {TAG_MANAGED_BY: "humangov"}),
        Role("someone-else", arn + "-x", "/humangov/", made, {TAG_MANAGED_BY: "other"}),
    ]
    found = Leftovers(monkeypatch, [], roles=roles).find()
    assert found == [Leftover("?", "iam:role", arn, made, None)]


def test_repositories_are_listed_directly_with_their_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    made = datetime(2026, 10, 1, tzinfo=UTC)
    nginx = REPO_ARN.replace("humangov-app", "humangov-nginx")
    other = REPO_ARN.replace("humangov-app", "not-ours")
    already = tagged("ecr", "repository/humangov-app", **{TAG_STATE: "shared", TAG_RUN_ID: RUN_ID})
    repositories = [
        {"repositoryArn": REPO_ARN, "createdAt": made},  # also found by the tagging API: listed once
        {"repositoryArn": other, "createdAt": made},
        {"repositoryArn": nginx, "createdAt": made},
    ]
    tags = {
        nginx: [{"Key": TAG_MANAGED_BY, "Value": "humangov"}, {"Key": TAG_RUN_ID, "Value": "r-9"}],
        other: [{"Key": TAG_MANAGED_BY, "Value": "someone"}],
    }
    found = Leftovers(monkeypatch, [already], repositories=repositories, repository_tags=tags).find()

    assert [(f.state, f.kind, f.id, f.created, f.run_id) for f in found] == [
        ("shared", "ecr:repository", REPO_ARN, datetime(2026, 11, 26, 12, 0, tzinfo=UTC), RUN_ID),
        ("shared", "ecr:repository", nginx, made, "r-9"),
    ]


def test_a_repository_of_a_state_keeps_that_state(monkeypatch: pytest.MonkeyPatch) -> None:
    repositories = [{"repositoryArn": REPO_ARN}]
    tags = {REPO_ARN: [{"Key": TAG_MANAGED_BY, "Value": "humangov"}, {"Key": TAG_STATE, "Value": "texas"}]}
    found = Leftovers(monkeypatch, [], repositories=repositories, repository_tags=tags).find()
    assert found == [Leftover("texas", "ecr:repository", REPO_ARN, None, None)]


@pytest.mark.parametrize("operation", ["DescribeRepositories", "ListTagsForResource"])
def test_ecr_errors_name_the_call(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    listing = Leftovers(monkeypatch, [], repositories=[{"repositoryArn": REPO_ARN}])
    listing.ecr.errors[operation] = error("AccessDeniedException", operation)

    with pytest.raises(AwsError) as failure:
        listing.find()

    assert (failure.value.service, failure.value.operation) == ("ecr", operation)


def test_data_found_by_name_is_added_once(monkeypatch: pytest.MonkeyPatch) -> None:
    table_arn = ACCOUNT_ARN.format(service="dynamodb", resource="table/humangov-texas-dynamodb")
    table = tagged("dynamodb", "table/humangov-texas-dynamodb", **{TAG_STATE: "texas"})
    bucket = Leftover("texas", "s3:bucket", "arn:aws:s3:::humangov-texas-s3-1", None, None)
    again = Leftover("texas", "dynamodb:table", table_arn, None, None)
    found = Leftovers(monkeypatch, [table], data=[again, bucket]).find()
    assert [(f.kind, f.id) for f in found] == [("dynamodb:table", table_arn), ("s3:bucket", bucket.id)]


# -- the waits of destroy ----------------------------------------------------------------------------------
def test_a_wait_that_runs_out_says_what_it_waited_for_and_what_it_last_saw() -> None:
    target = platform()
    deadline = Deadline(12, target.clock)

    with pytest.raises(DeployTimeout) as pending:
        aws_teardown._until_done(target, "service x to drain", lambda: False, deadline)
    assert (pending.value.what, pending.value.last_state, pending.value.hint) == (
        "service x to drain",
        "pending",
        "",
    )
    assert target.clock.sleeps == [5.0, 5.0, 2.0]

    def in_use() -> bool:
        raise AwsError("elbv2", "DeleteTargetGroup", "ResourceInUse", "in use by a listener")

    with pytest.raises(DeployTimeout) as busy:
        aws_teardown._until_done(target, "tg", in_use, Deadline(1, target.clock), hint="wait")
    assert (busy.value.last_state, busy.value.hint) == ("ResourceInUse: in use by a listener", "wait")


def group(name: str, group_id: str) -> SecurityGroup:
    return SecurityGroup(id=group_id, name=name, vpc_id="vpc-1")


def test_security_groups_named_by_foreign_rules_are_reported_and_the_others_deleted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = names_for("texas")
    task, lb = group(names.task_security_group, "sg-task"), group(names.lb_security_group, "sg-lb")
    found = {names.task_security_group: task, names.lb_security_group: lb}
    monkeypatch.setattr(ec2_api, "find_security_group", lambda _c, name: found.get(name))
    monkeypatch.setattr(ec2_api, "revoke_group_references", lambda _c, _g, _others: False)
    foreign = [group("someone-a", "sg-a"), group("someone-b", "sg-b"), lb]
    monkeypatch.setattr(ec2_api, "groups_referencing", lambda _c, gid: foreign if gid == "sg-task" else [])
    deleted: list[str] = []
    monkeypatch.setattr(ec2_api, "delete_security_group", lambda _c, gid: deleted.append(gid))
    removed: list[str] = []
    lines: list[str] = []

    blocked = aws_teardown._delete_security_groups(
        platform(), names, Deadline(60, FakeClock()), lines.append, removed
    )

    assert blocked == [
        f"security group {task.name} (sg-task) is named by rules of someone-a (sg-a), someone-b (sg-b): AWS "
        "will not delete it until those rules are removed; remove them and run destroy again"
    ]
    assert deleted == ["sg-lb"] and removed == [f"security group {lb.name}"]
    assert lines == [f"deleting security group {lb.name}"]


def test_a_security_group_that_stays_in_use_times_out_with_the_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    names = names_for("texas")
    lb = group(names.lb_security_group, "sg-lb")
    monkeypatch.setattr(ec2_api, "find_security_group", lambda _c, name: lb if name == lb.name else None)
    monkeypatch.setattr(ec2_api, "revoke_group_references", lambda _c, _g, _others: False)
    monkeypatch.setattr(ec2_api, "groups_referencing", lambda _c, _gid: [])

    def in_use(_clients: Any, _gid: str) -> None:
        raise AwsError("ec2", "DeleteSecurityGroup", "DependencyViolation", "has a dependent object")

    monkeypatch.setattr(ec2_api, "delete_security_group", in_use)
    target = platform()

    with pytest.raises(DeployTimeout) as timeout:
        aws_teardown._delete_security_groups(target, names, Deadline(10, target.clock), lambda _m: None, [])

    assert timeout.value.what == f"security group {lb.name} to be released"
    assert timeout.value.hint == (
        "network interfaces of stopped tasks or of the load balancer can take a few minutes to go"
    )


# -- destroy, step by step ----------------------------------------------------------------------------
class World:
    """What destroy_stack finds of one state, behind the `humangov_deploy.aws.*` calls it makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, **found: Any) -> None:
        self.found = found
        self.done: list[tuple[Any, ...]] = []
        self.data: list[tuple[str, dict[str, Any]]] = []
        names = names_for("texas")
        self.names = names
        tags = found.get

        def obj(**attrs: Any) -> Any:
            return SimpleNamespace(**attrs)

        secret_tags, role_tags = tags("secret_tags"), tags("role_tags")
        patch = monkeypatch.setattr
        patch(
            ssm_api,
            "find_parameter",
            lambda _c, name: obj(tags=secret_tags) if secret_tags is not None else None,
        )
        patch(iam_api, "get_role", lambda _c, name: obj(tags=role_tags) if role_tags is not None else None)
        gone = tags("never_gone") is None
        services = [obj(name=names.service)] if tags("service") else []
        patch(ecs_api, "find_service", lambda _c, _cl, _n: services[0] if services else None)
        patch(
            ecs_api,
            "delete_service",
            lambda _c, cl, n: (self.done.append(("delete_service", n)), gone and services.clear()),
        )
        lbs = [obj(arn="lb-arn")] if tags("lb") else []
        patch(elbv2_api, "find_load_balancer", lambda _c, _n: lbs[0] if lbs else None)
        patch(
            elbv2_api,
            "delete_load_balancer",
            lambda _c, arn: (self.done.append(("delete_lb", arn)), gone and lbs.clear()),
        )
        patch(aws_teardown, "remove_alias", lambda *_a: None)  # the Route 53 record: test_aws_domain.py
        patch(elbv2_api, "find_target_group", lambda _c, _n: obj(arn="tg-arn") if tags("tg") else None)

        def delete_tg(_c: Any, arn: str) -> None:
            self.done.append(("delete_tg", arn))
            if not gone:
                raise AwsError("elbv2", "DeleteTargetGroup", "ResourceInUse", "in use")

        patch(elbv2_api, "delete_target_group", delete_tg)
        revisions = {"ACTIVE": tags("active", []), "INACTIVE": tags("inactive", [])}
        patch(ecs_api, "task_definition_arns", lambda _c, family, status: list(revisions[status]))
        patch(ecs_api, "deregister_task_definition", lambda _c, arn: self.done.append(("deregister", arn)))
        patch(
            ecs_api, "delete_task_definitions", lambda _c, arns: self.done.append(("delete_revisions", arns))
        )
        patch(aws_teardown, "_delete_security_groups", lambda *_a: list(tags("blocked", [])))
        patch(logs_api, "delete_log_group", lambda _c, name: bool(tags("logs")))
        patch(iam_api, "delete_role", lambda _c, name: bool(tags("roles")))
        patch(data_api, "any_state_data", lambda _c, state: bool(tags("untagged_data")) and state == "texas")
        patch(ssm_api, "delete_parameter", lambda _c, name: secret_tags is not None)
        patch(ecs_api, "find_cluster", lambda _c, name: obj() if tags("cluster") else None)
        patch(aws_teardown, "_cluster_users", lambda _p, _cl, ignore: list(tags("users", [])))
        patch(ecs_api, "delete_cluster", lambda _c, name: self.done.append(("delete_cluster", name)))

    def destroy(self, **options: Any) -> tuple[list[str], list[str]]:
        world = self
        target = platform()

        class Provider:
            def __init__(self, kind: str) -> None:
                self.kind = kind

            def destroy(self, state: str, **kwargs: Any) -> None:
                world.data.append((self.kind, {"state": state, **kwargs}))

        defaults = {"keep_data": False, "data": "boto3", "data_given": False, "keep_shared": False}
        target.options = SimpleNamespace(poll_interval=5.0, **(defaults | options))
        target.data_provider = Provider
        target.run_id = "run-7"
        self.deadline = Deadline(60, target.clock)
        lines: list[str] = []
        removed = aws_teardown.destroy_stack(
            target, self.names, deadline=self.deadline, progress=lines.append
        )
        return removed, lines


def test_the_data_is_removed_as_the_secret_records_it_before_what_the_role_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World(monkeypatch, secret_tags={TAG_DATA: "terraform"}, role_tags={TAG_DATA: "boto3"})

    removed, lines = world.destroy()

    ((kind, call),) = world.data
    assert kind == "terraform"
    assert (call["state"], call["run_id"], call["deadline"]) == ("texas", "run-7", world.deadline)
    assert set(call) == {"state", "run_id", "progress", "deadline"} and callable(call["progress"])
    assert removed == ["data (terraform)", "parameter /humangov/texas/secret-key"]
    assert lines == [
        "removing data (terraform)",
        "deleted parameter /humangov/texas/secret-key",
        "texas: removed data (terraform), parameter /humangov/texas/secret-key",
    ]


def test_without_a_secret_the_role_says_how_the_data_was_made(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(monkeypatch, role_tags={TAG_DATA: "terraform"})
    world.destroy()
    assert [kind for kind, _ in world.data] == ["terraform"]

    untagged = World(monkeypatch, secret_tags={}, role_tags={TAG_DATA: "terraform"})
    untagged.destroy()
    assert [kind for kind, _ in untagged.data] == ["terraform"]


def test_data_made_outside_a_deploy_is_removed_as_boto3_and_no_data_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World(monkeypatch, untagged_data=True)
    world.destroy()
    assert [kind for kind, _ in world.data] == ["boto3"]

    nothing = World(monkeypatch, role_tags={})
    removed, lines = nothing.destroy()
    assert nothing.data == [] and removed == [] and lines == ["texas: nothing to remove"]

    recorded = World(monkeypatch, secret_tags={TAG_DATA: "terraform"}, untagged_data=True)
    recorded.destroy()
    assert [kind for kind, _ in recorded.data] == ["terraform"]


def test_the_data_option_wins_over_what_was_recorded_and_keep_data_keeps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given = World(monkeypatch, secret_tags={TAG_DATA: "terraform"})
    given.destroy(data="boto3", data_given=True)
    assert [kind for kind, _ in given.data] == ["boto3"]

    default = World(monkeypatch, secret_tags={TAG_DATA: "terraform"})
    default.destroy(data="boto3", data_given=False)
    assert [kind for kind, _ in default.data] == ["terraform"]

    kept = World(monkeypatch, secret_tags={TAG_DATA: "terraform"})
    kept.destroy(keep_data=True)
    assert kept.data == []


@pytest.mark.parametrize(
    ("active", "inactive", "deleted"),
    [
        (["td:2"], ["td:1"], ["td:1", "td:2"]),
        ([], ["td:1"], ["td:1"]),
        (["td:2"], [], ["td:2"]),
    ],
)
def test_every_revision_is_deregistered_then_deleted(
    monkeypatch: pytest.MonkeyPatch, active: list[str], inactive: list[str], deleted: list[str]
) -> None:
    world = World(monkeypatch, active=active, inactive=inactive)

    removed, lines = world.destroy()

    assert world.done == [("deregister", a) for a in active] + [("delete_revisions", deleted)]
    assert f"deleted {len(deleted)} revision(s) of task definition humangov-texas-fullstack" in lines
    assert removed == ["task definition humangov-texas-fullstack"]


def test_the_shared_cluster_goes_only_when_nobody_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    used = World(monkeypatch, cluster=True, users=["service a", "state ohio"])
    _removed, lines = used.destroy()
    assert "keeping cluster humangov-cluster: still used by service a, state ohio" in lines
    assert ("delete_cluster", "humangov-cluster") not in used.done

    free = World(monkeypatch, cluster=True)
    removed, lines = free.destroy()
    assert free.done == [("delete_cluster", "humangov-cluster")] and removed == ["cluster humangov-cluster"]
    assert lines == [
        "deleting cluster humangov-cluster (no state uses it)",
        "texas: removed cluster humangov-cluster",
    ]

    kept = World(monkeypatch, cluster=True)
    assert kept.destroy(keep_shared=True) == ([], ["texas: nothing to remove"]) and kept.done == []


def test_blocked_security_groups_fail_the_destroy_with_every_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(monkeypatch, blocked=["group a is named", "group b is named"])
    with pytest.raises(DeploymentFailed, match=r"^group a is named; group b is named$"):
        world.destroy()


@pytest.mark.parametrize(
    ("found", "what"),
    [
        ("service", "service humangov-texas-service to drain"),
        ("lb", "load balancer humangov-texas-lb to go"),
        ("tg", "target group humangov-texas-tg to be released"),
    ],
)
def test_each_wait_of_destroy_says_what_it_waits_for(
    monkeypatch: pytest.MonkeyPatch, found: str, what: str
) -> None:
    world = World(monkeypatch, never_gone=True, **{found: True})
    with pytest.raises(DeployTimeout) as timeout:
        world.destroy()
    assert timeout.value.what == what


def test_who_uses_the_cluster_services_first_then_other_states(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecs_api, "active_service_names", lambda _c, cluster: ["humangov-utah-service"])
    monkeypatch.setattr(
        ssm_api, "states_with_secret", lambda _c, root: ["ohio", "texas"] if root == "/humangov" else []
    )
    users = aws_teardown._cluster_users(platform(), "humangov-cluster", {"texas"})
    assert users == ["service humangov-utah-service", "state ohio"]
