"""`status` on the aws platform: what exists of one state's stack, its tasks' AZs and target health."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws import iam as iam_api
from humangov_deploy.aws import logs as logs_api
from humangov_deploy.aws import ssm as ssm_api
from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import StackNames
from humangov_deploy.platforms.aws.data import find_data
from humangov_deploy.platforms.aws.domain import set_url
from humangov_deploy.platforms.aws.https import listener_infos, plain_http_warning
from humangov_deploy.platforms.aws.spec import DataRefs
from humangov_deploy.platforms.base import StackStatus, TaskInfo


@dataclass(frozen=True)
class DeployedStack:
    """What a deploy has just found or made, by name and ARN: its status does not look these up again.

    What changes by itself after a deploy (the service, its tasks, target health, the load balancer's
    state and listeners) is still read.
    """

    data: DataRefs
    cluster_arn: str
    target_group: elbv2_api.TargetGroup
    lb_security_group: str
    task_security_group: str
    task_role_arn: str
    execution_role_arn: str
    log_group: str
    secret_parameter: str
    task_definition_arn: str
    load_balancer: elbv2_api.LoadBalancer | None = None


def stack_status(
    clients: AwsClients, names: StackNames, platform: str = "aws", known: DeployedStack | None = None
) -> StackStatus:
    """What exists of the state's stack; the shared cluster alone does not count as the state's."""
    result = StackStatus(state=names.state, platform=platform, region=clients.region)
    resources: dict[str, Any] = {}
    data = known.data if known else find_data(clients, names.state)
    if data is not None:
        result.table, result.bucket = data.table, data.bucket
    if known:
        resources["cluster"] = known.cluster_arn
    else:
        cluster = ecs_api.find_cluster(clients, names.cluster)
        if cluster is not None:
            resources["cluster"] = cluster.arn
    service = ecs_api.find_service(clients, names.cluster, names.service) if "cluster" in resources else None
    lb = elbv2_api.find_load_balancer(clients, names.load_balancer)
    if lb is None and known is not None:
        lb = known.load_balancer  # just made, and not yet in DescribeLoadBalancers (eventual consistency)
    tg = known.target_group if known else elbv2_api.find_target_group(clients, names.target_group)
    targets = elbv2_api.target_health(clients, tg.arn) if tg else []
    if lb is not None:
        raw_listeners = elbv2_api.listeners(clients, lb.arn)
        result.listeners = listener_infos(raw_listeners)
        if not set_url(result, raw_listeners, lb.dns_name):  # https://DOMAIN when it has one (domain.py)
            result.warnings.append(plain_http_warning(names.state))
        resources["load_balancer"] = {"arn": lb.arn, "state": lb.state, "azs": list(lb.azs)}
    if tg is not None:
        resources["target_group"] = {"arn": tg.arn, "targets": [str(t) for t in targets]}
    if service is not None:
        resources["service"] = {
            "arn": service.arn,
            "status": service.status,
            "desired": service.desired,
            "running": service.running,
            "task_definition": service.task_definition,
            "deployments": [
                {
                    "id": d.id,
                    "status": d.status,
                    "rollout": d.rollout_state,
                    "task_definition": d.task_definition,
                }
                for d in service.deployments
            ],
        }
        health = {t.id: t.state for t in targets}
        for task in ecs_api.service_tasks(clients, names.cluster, names.service, desired_status="RUNNING"):
            result.tasks.append(
                TaskInfo(
                    id=task.id,
                    az=task.az or "unknown",
                    status=task.last_status,
                    healthy=health.get(task.private_ip or "") == "healthy",
                )
            )
    resources.update(_known_resources(known) if known else _found_resources(clients, names))
    # The shared cluster alone is not this state's stack.
    result.resources = resources if any(k != "cluster" for k in resources) else {}
    return result


def _known_resources(known: DeployedStack) -> dict[str, Any]:
    return {
        "lb_security_group": known.lb_security_group,
        "task_security_group": known.task_security_group,
        "task_role": known.task_role_arn,
        "execution_role": known.execution_role_arn,
        "log_group": known.log_group,
        "secret_parameter": known.secret_parameter,
        "task_definition": known.task_definition_arn,
    }


def _found_resources(clients: AwsClients, names: StackNames) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for key, group_name in (
        ("lb_security_group", names.lb_security_group),
        ("task_security_group", names.task_security_group),
    ):
        group = ec2_api.find_security_group(clients, group_name)
        if group is not None:
            resources[key] = group.id
    for key, role_name in (("task_role", names.task_role), ("execution_role", names.execution_role)):
        role = iam_api.get_role(clients, role_name, with_tags=False)
        if role is not None:
            resources[key] = role.arn
    log_group = logs_api.find_log_group(clients, names.log_group)
    if log_group is not None:
        resources["log_group"] = log_group.name
    secret = ssm_api.find_parameter(clients, names.secret_parameter, with_tags=False)
    if secret is not None:
        resources["secret_parameter"] = secret.name
    latest = ecs_api.latest_task_definition(clients, names.family)
    if latest is not None:
        resources["task_definition"] = latest.arn
    return resources
