"""Teardown of one state's stack (`destroy`) and of leftovers found by tag (`sweep`).

Order matters: the service first (its tasks hold ENIs in the tasks' security group and targets in the
target group), then the load balancer (its listener holds the target group, its ENIs the load balancer's
security group), the target group, task definitions, security groups (tasks' before the load balancer's,
whose group the tasks' ingress rule names), logs, roles, data, the secret (it records how the data was
made, so it goes last), and the shared cluster once no state uses it. Every step finds before it
deletes and tolerates NotFound, so a destroy after a half deploy, or a second destroy, just works.
AWS releases ENIs and listeners a little after their owner is gone: the deletes that depend on that
are polled (DependencyViolation, ResourceInUse) until the one deadline runs out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws import iam as iam_api
from humangov_deploy.aws import logs as logs_api
from humangov_deploy.aws import ssm as ssm_api
from humangov_deploy.aws.call import AwsError, aws_call
from humangov_deploy.aws.tagging import find_tagged, from_list
from humangov_deploy.clients import AwsClients
from humangov_deploy.data import state as data_api
from humangov_deploy.errors import DeploymentFailed
from humangov_deploy.naming import (
    CLUSTER,
    IAM_PATH,
    MANAGED_BY,
    PREFIX,
    SHARED_STATE,
    TAG_CREATED_AT,
    TAG_DATA,
    TAG_MANAGED_BY,
    TAG_RUN_ID,
    TAG_STATE,
    StackNames,
    names_for,
    parse_time,
    run_id_time,
)
from humangov_deploy.platforms.aws.data import DataProvider, data_leftovers
from humangov_deploy.platforms.aws.domain import remove_alias
from humangov_deploy.platforms.aws.options import AwsOptions
from humangov_deploy.platforms.base import Leftover, Progress, SweepReport
from humangov_deploy.waits import Clock, Deadline, Poll, Sleep, poll_until


class AwsPlatform(Protocol):
    """What teardown needs of the platform (AwsPlatform fulfils it; teardown never imports platform.py,
    which calls teardown for `destroy` and `sweep`)."""

    clients: AwsClients
    options: AwsOptions
    run_id: str
    clock: Clock
    sleep: Sleep
    now: Callable[[], datetime]

    def data_provider(self, kind: str) -> DataProvider: ...


# Codes that mean "its owner is still going away": poll, do not fail.
STILL_RELEASING = frozenset({"DependencyViolation", "ResourceInUse"})


def _until_done(
    platform: AwsPlatform, what: str, attempt: Callable[[], bool], deadline: Deadline, hint: str = ""
) -> None:
    def check() -> Poll[str]:
        try:
            return Poll(attempt(), "pending")
        except AwsError as exc:
            if exc.code in STILL_RELEASING or exc.throttled:
                return Poll(False, f"{exc.code}: {exc.message}")
            raise

    poll_until(
        check,
        timeout=deadline,
        interval=platform.options.poll_interval,
        what=what,
        clock=deadline.clock,
        sleep=platform.sleep,
        hint=hint,
    )


def destroy_stack(
    platform: AwsPlatform, names: StackNames, *, deadline: Deadline, progress: Progress
) -> list[str]:
    """Remove every resource of the state; returns what was removed (empty if nothing was there)."""
    clients, options = platform.clients, platform.options
    removed: list[str] = []
    secret = ssm_api.find_parameter(clients, names.secret_parameter)
    recorded = secret.tags.get(TAG_DATA) if secret else None
    if recorded is None:
        role = iam_api.get_role(clients, names.task_role)
        recorded = role.tags.get(TAG_DATA) if role else None

    service = ecs_api.find_service(clients, names.cluster, names.service)
    if service is not None:
        progress(f"deleting service {names.service} (draining its tasks)")
        ecs_api.delete_service(clients, names.cluster, names.service)
        _until_done(
            platform,
            f"service {names.service} to drain",
            lambda: ecs_api.find_service(clients, names.cluster, names.service) is None,
            deadline,
        )
        removed.append(f"service {names.service}")

    lb = elbv2_api.find_load_balancer(clients, names.load_balancer)
    if lb is not None:
        remove_alias(clients, lb.arn, progress)  # its Route 53 record, if a deploy made one (domain.py)
        progress(f"deleting load balancer {names.load_balancer}")
        elbv2_api.delete_load_balancer(clients, lb.arn)
        _until_done(
            platform,
            f"load balancer {names.load_balancer} to go",
            lambda: elbv2_api.find_load_balancer(clients, names.load_balancer) is None,
            deadline,
        )
        removed.append(f"load balancer {names.load_balancer}")

    tg = elbv2_api.find_target_group(clients, names.target_group)
    if tg is not None:
        progress(f"deleting target group {names.target_group}")

        def delete_tg() -> bool:
            elbv2_api.delete_target_group(clients, tg.arn)
            return True

        _until_done(platform, f"target group {names.target_group} to be released", delete_tg, deadline)
        removed.append(f"target group {names.target_group}")

    active = ecs_api.task_definition_arns(clients, names.family, "ACTIVE")
    for arn in active:
        ecs_api.deregister_task_definition(clients, arn)
    # The revisions just deregistered are INACTIVE at once, even if the listing does not show them yet.
    inactive = sorted(set(active) | set(ecs_api.task_definition_arns(clients, names.family, "INACTIVE")))
    if inactive:
        ecs_api.delete_task_definitions(clients, inactive)
    if active or inactive:
        progress(f"deleted {len(inactive)} revision(s) of task definition {names.family}")
        removed.append(f"task definition {names.family}")

    blocked = _delete_security_groups(platform, names, deadline, progress, removed)

    if logs_api.delete_log_group(clients, names.log_group):
        progress(f"deleted log group {names.log_group}")
        removed.append(f"log group {names.log_group}")

    for role_name in (names.task_role, names.execution_role):
        if iam_api.delete_role(clients, role_name):
            progress(f"deleted role {role_name}")
            removed.append(f"role {role_name}")

    if not options.keep_data:
        kind = options.data if options.data_given else recorded
        if kind is None and data_api.any_state_data(clients, names.state):
            # Made outside a deploy (`humangov data create`, or a deploy killed before its first step).
            kind = "boto3"
        if kind is not None:
            progress(f"removing data ({kind})")
            platform.data_provider(kind).destroy(
                names.state, run_id=platform.run_id, progress=progress, deadline=deadline
            )
            removed.append(f"data ({kind})")

    if ssm_api.delete_parameter(clients, names.secret_parameter):
        progress(f"deleted parameter {names.secret_parameter}")
        removed.append(f"parameter {names.secret_parameter}")

    if not options.keep_shared and ecs_api.find_cluster(clients, names.cluster) is not None:
        users = _cluster_users(platform, names.cluster, {names.state})
        if users:
            progress(f"keeping cluster {names.cluster}: still used by {', '.join(users)}")
        else:
            progress(f"deleting cluster {names.cluster} (no state uses it)")
            ecs_api.delete_cluster(clients, names.cluster)
            removed.append(f"cluster {names.cluster}")
    progress(f"{names.state}: " + ("removed " + ", ".join(removed) if removed else "nothing to remove"))
    if blocked:
        raise DeploymentFailed("; ".join(blocked))
    return removed


def _delete_security_groups(
    platform: AwsPlatform, names: StackNames, deadline: Deadline, progress: Progress, removed: list[str]
) -> list[str]:
    """Delete the tasks' and the load balancer's groups; returns why any could not go.

    The two groups name each other (the tasks accept from the load balancer's group, which sends only to
    the tasks' group), and AWS never deletes a group that another group's rule names: revoke those rules
    first. A rule of some other group naming ours never clears by waiting either: report it, do not poll.
    """
    clients = platform.clients
    groups = [
        group
        for group in (
            ec2_api.find_security_group(clients, names.task_security_group),
            ec2_api.find_security_group(clients, names.lb_security_group),
        )
        if group is not None
    ]
    ours = {group.id for group in groups}
    for group in groups:
        if ec2_api.revoke_group_references(clients, group, ours - {group.id}):
            progress(f"revoked the rules of {group.name} that name the other group")
    blocked: list[str] = []
    for group in groups:
        foreign = [g for g in ec2_api.groups_referencing(clients, group.id) if g.id not in ours]
        if foreign:
            named = ", ".join(f"{g.name} ({g.id})" for g in foreign)
            blocked.append(
                f"security group {group.name} ({group.id}) is named by rules of {named}: AWS will not "
                "delete it until those rules are removed; remove them and run destroy again"
            )
            continue
        progress(f"deleting security group {group.name}")

        def delete_group(group_id: str = group.id) -> bool:
            ec2_api.delete_security_group(clients, group_id)
            return True

        _until_done(
            platform,
            f"security group {group.name} to be released",
            delete_group,
            deadline,
            hint="network interfaces of stopped tasks or of the load balancer can take a few minutes to go",
        )
        removed.append(f"security group {group.name}")
    return blocked


def _cluster_users(platform: AwsPlatform, cluster: str, ignore: set[str]) -> list[str]:
    """Who still needs the shared cluster, apart from the states in `ignore`: services, and states that
    are deployed or being deployed (their secret is a deploy's first write and a destroy's last), so a
    parallel deploy between its cluster check and its CreateService does not lose the cluster."""
    clients = platform.clients
    users = [f"service {name}" for name in ecs_api.active_service_names(clients, cluster)]
    states = ssm_api.states_with_secret(clients, f"/{PREFIX}")
    users += [f"state {other}" for other in states if other not in ignore]
    return users


# --- sweep ---------------------------------------------------------------------------------------------


def _created(tags: dict[str, str], fallback: datetime | None = None) -> datetime | None:
    return parse_time(tags.get(TAG_CREATED_AT)) or run_id_time(tags.get(TAG_RUN_ID)) or fallback


def _kind(arn: str) -> str:
    """`arn:aws:ecs:...:service/cluster/name` -> `ecs:service`; S3 bucket ARNs have no type: `s3:bucket`."""
    service = arn.split(":")[2]
    if service == "s3":
        return "s3:bucket"
    resource = arn.split(":", 5)[5]
    kind = resource.split("/", 1)[0].split(":", 1)[0]
    return f"{service}:{kind}"


def find_leftovers(platform: AwsPlatform) -> list[Leftover]:
    """Every resource carrying `humangov:managed-by`: the tagging API, plus IAM and ECR listed directly."""
    clients = platform.clients
    found: list[Leftover] = []
    for resource in find_tagged(clients, {TAG_MANAGED_BY: MANAGED_BY}):
        kind = _kind(resource.arn)
        if kind == "ecs:service":
            cluster_name, service_name = resource.resource.split("/")[-2:]
            if ecs_api.find_service(clients, cluster_name, service_name) is None:
                continue  # deleted services linger as INACTIVE
        if kind == "ecs:cluster" and ecs_api.find_cluster(clients, resource.resource.split("/")[-1]) is None:
            continue
        tags = resource.tags
        found.append(
            Leftover(tags.get(TAG_STATE, "?"), kind, resource.arn, _created(tags), tags.get(TAG_RUN_ID))
        )
    for role in iam_api.list_roles(clients, IAM_PATH):
        if role.tags.get(TAG_MANAGED_BY) == MANAGED_BY:
            found.append(
                Leftover(
                    role.tags.get(TAG_STATE, "?"),
                    "iam:role",
                    role.arn,
                    _created(role.tags, role.created),
                    role.tags.get(TAG_RUN_ID),
                )
            )
    # The tagging API misses ECR repositories on moto (DESIGN.md); list them directly everywhere.
    ecr = clients.ecr
    with aws_call("ecr", "DescribeRepositories"):
        repositories = [
            r for page in ecr.get_paginator("describe_repositories").paginate() for r in page["repositories"]
        ]
    known = {f.id for f in found}
    for repository in repositories:
        arn = repository["repositoryArn"]
        if arn in known:
            continue
        with aws_call("ecr", "ListTagsForResource"):
            tags = from_list(ecr.list_tags_for_resource(resourceArn=arn).get("tags"))
        if tags.get(TAG_MANAGED_BY) == MANAGED_BY:
            found.append(
                Leftover(
                    tags.get(TAG_STATE, SHARED_STATE),
                    "ecr:repository",
                    arn,
                    _created(tags, repository.get("createdAt")),
                    tags.get(TAG_RUN_ID),
                )
            )
    # Tables and buckets by name, whoever made them: Terraform tags them managed-by=terraform, and data
    # of a lost runner may carry no tag of ours at all.
    known = {f.id for f in found}
    found += [leftover for leftover in data_leftovers(clients) if leftover.id not in known]
    return sorted(found, key=lambda f: (f.state, f.kind, f.id))


def sweep(
    platform: AwsPlatform,
    *,
    older_than: float,
    dry_run: bool,
    timeout: float,
    run_id: str | None = None,
    states: list[str] | None = None,
    progress: Progress,
) -> SweepReport:
    """Destroy every state whose tagged resources are all older than `older_than` seconds.

    A state with any younger resource is kept (someone may be deploying it now), and so is one whose
    resources carry no creation time. Shared resources (cluster, ECR repositories) go only when old
    and no state remains.
    """
    report = SweepReport(older_than=older_than, dry_run=dry_run)
    now = platform.now()
    report.found = find_leftovers(platform)
    if run_id:
        matching_states = {f.state for f in report.found if f.run_id == run_id}
        report.found = [f for f in report.found if f.state in matching_states or f.run_id == run_id]
    wanted = {names_for(s).state for s in states} if states else None
    by_state: dict[str, list[Leftover]] = {}
    for leftover in report.found:
        by_state.setdefault(leftover.state, []).append(leftover)

    remaining_states: set[str] = set()
    for state, leftovers in sorted(by_state.items()):
        if state == SHARED_STATE:
            continue
        if wanted is not None and state not in wanted:
            remaining_states.add(state)
            continue
        ages = [(now - f.created).total_seconds() for f in leftovers if f.created]
        if not ages:
            report.skipped[state] = "no creation time on any of its resources"
            remaining_states.add(state)
            continue
        if min(ages) < older_than:
            report.skipped[state] = f"its newest resource is only {int(min(ages))}s old"
            remaining_states.add(state)
            continue
        report.removed_states.append(state)
        if not dry_run:
            progress(f"sweeping {state}")
            destroy_stack(
                platform, names_for(state), deadline=Deadline(timeout, platform.clock), progress=progress
            )

    if wanted is None:
        for leftover in by_state.get(SHARED_STATE, []):
            age = (now - leftover.created).total_seconds() if leftover.created else None
            if age is None or age < older_than:
                report.skipped[leftover.id] = "shared resource too young or of unknown age"
                continue
            if remaining_states:
                report.skipped[leftover.id] = f"still used by {', '.join(sorted(remaining_states))}"
                continue
            # The tagging API lags behind new resources: a state whose deploy started a moment ago may be
            # in no leftover yet, but its secret (a deploy's first write) is already there.
            users = _cluster_users(platform, CLUSTER, set(report.removed_states))
            if users:
                report.skipped[leftover.id] = f"still used by {', '.join(users)}"
                continue
            report.removed_shared.append(leftover.id)
            if not dry_run:
                _remove_shared(platform, leftover, progress)
    return report


def _remove_shared(platform: AwsPlatform, leftover: Leftover, progress: Progress) -> None:
    clients = platform.clients
    if leftover.kind == "ecs:cluster":
        name = leftover.id.rsplit("/", 1)[-1]
        if ecs_api.active_service_names(clients, name):
            return
        progress(f"deleting cluster {name}")
        ecs_api.delete_cluster(clients, name)
    elif leftover.kind == "ecr:repository":
        name = leftover.id.split(":repository/", 1)[-1]
        progress(f"deleting repository {name}")
        ecr = clients.ecr
        with aws_call("ecr", "DeleteRepository", ignore=("RepositoryNotFoundException",)):
            ecr.delete_repository(repositoryName=name, force=True)
