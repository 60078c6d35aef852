"""ECS: the shared Fargate cluster, per-state task definitions and services, and their tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from humangov_deploy.aws.call import aws_call
from humangov_deploy.aws.tagging import from_list, lower_key_value
from humangov_deploy.clients import AwsClients


@dataclass(frozen=True)
class Cluster:
    arn: str
    name: str
    status: str
    active_services: int
    running_tasks: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Deployment:
    id: str
    status: str  # PRIMARY, ACTIVE, INACTIVE
    task_definition: str
    desired: int
    running: int
    pending: int
    failed_tasks: int
    rollout_state: str | None  # IN_PROGRESS, COMPLETED, FAILED (None where the API does not say)
    rollout_reason: str
    created: datetime | None


@dataclass(frozen=True)
class Service:
    arn: str
    name: str
    status: str  # ACTIVE, DRAINING, INACTIVE
    task_definition: str
    desired: int
    running: int
    pending: int
    deployments: tuple[Deployment, ...]
    events: tuple[str, ...]
    tags: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def primary(self) -> Deployment | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


@dataclass(frozen=True)
class Task:
    arn: str
    task_definition: str
    last_status: str
    desired_status: str
    az: str | None
    private_ip: str | None
    started_by: str
    stop_code: str
    stopped_reason: str
    container_reasons: tuple[str, ...]
    stopped_at: datetime | None = None

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def why_stopped(self) -> str:
        parts = [p for p in (self.stop_code, self.stopped_reason) if p]
        parts.extend(self.container_reasons)
        return "; ".join(parts) or "no reason given"


@dataclass(frozen=True)
class TaskDefinition:
    arn: str
    family: str
    revision: int
    status: str
    tags: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


# --- cluster -------------------------------------------------------------------------------------------


def _cluster(raw: dict[str, Any]) -> Cluster:
    return Cluster(
        arn=raw["clusterArn"],
        name=raw["clusterName"],
        status=raw["status"],
        active_services=int(raw.get("activeServicesCount", 0)),
        running_tasks=int(raw.get("runningTasksCount", 0)),
        tags=from_list(raw.get("tags")),
    )


def find_cluster(clients: AwsClients, name: str) -> Cluster | None:
    """The cluster if it exists and is ACTIVE (deleted clusters linger as INACTIVE)."""
    ecs = clients.ecs
    with aws_call("ecs", "DescribeClusters"):
        found = ecs.describe_clusters(clusters=[name], include=["TAGS"]).get("clusters", [])
    for raw in found:
        if raw.get("clusterName") == name and raw.get("status") == "ACTIVE":
            return _cluster(raw)
    return None


def create_fargate_cluster(clients: AwsClients, name: str, *, tags: dict[str, str]) -> Cluster:
    """One attempt; on an account's first cluster ECS may refuse it once (the caller retries, bounded)."""
    ecs = clients.ecs
    with aws_call("ecs", "CreateCluster"):
        response = ecs.create_cluster(
            clusterName=name,
            capacityProviders=["FARGATE"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
            settings=[{"name": "containerInsights", "value": "disabled"}],
            tags=lower_key_value(tags),
        )
    return _cluster(response["cluster"])


def delete_cluster(clients: AwsClients, name: str) -> None:
    """Delete; a cluster that another state's service or task started using meanwhile is left alone."""
    ecs = clients.ecs
    busy = ("ClusterContainsServicesException", "ClusterContainsTasksException")
    with aws_call("ecs", "DeleteCluster", ignore=("ClusterNotFoundException", *busy)):
        ecs.delete_cluster(cluster=name)


def active_service_names(clients: AwsClients, cluster: str) -> list[str]:
    ecs = clients.ecs
    arns: list[str] = []
    with aws_call("ecs", "ListServices", ignore=("ClusterNotFoundException",)):
        for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
            arns.extend(page.get("serviceArns", []))
    names = [arn.rsplit("/", 1)[-1] for arn in arns]
    active = []
    for start in range(0, len(names), 10):
        for service in describe_services(clients, cluster, names[start : start + 10]):
            if service.status != "INACTIVE":
                active.append(service.name)
    return active


# --- task definitions ----------------------------------------------------------------------------------


def latest_task_definition(clients: AwsClients, family: str) -> TaskDefinition | None:
    """The newest ACTIVE revision of the family, with its tags."""
    ecs = clients.ecs
    response = None
    with aws_call("ecs", "DescribeTaskDefinition", ignore=("ClientException",)):
        response = ecs.describe_task_definition(taskDefinition=family, include=["TAGS"])
    if not response:
        return None
    raw = response["taskDefinition"]
    if raw.get("status") != "ACTIVE":
        return None
    return TaskDefinition(
        arn=raw["taskDefinitionArn"],
        family=raw["family"],
        revision=int(raw["revision"]),
        status=raw["status"],
        tags=from_list(response.get("tags")),
        raw=raw,
    )


def register_task_definition(clients: AwsClients, spec: dict[str, Any], tags: dict[str, str]) -> str:
    ecs = clients.ecs
    with aws_call("ecs", "RegisterTaskDefinition"):
        response = ecs.register_task_definition(**spec, tags=lower_key_value(tags))
    return str(response["taskDefinition"]["taskDefinitionArn"])


def task_definition_arns(clients: AwsClients, family: str, status: str) -> list[str]:
    ecs = clients.ecs
    arns: list[str] = []
    with aws_call("ecs", "ListTaskDefinitions"):
        for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status=status):
            arns.extend(page.get("taskDefinitionArns", []))
    # familyPrefix is a prefix: `humangov-new-york-fullstack` must not catch another family by accident.
    return [a for a in arns if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]


def deregister_task_definition(clients: AwsClients, arn: str) -> None:
    ecs = clients.ecs
    with aws_call("ecs", "DeregisterTaskDefinition", ignore=("ClientException",)):
        ecs.deregister_task_definition(taskDefinition=arn)


def delete_task_definitions(clients: AwsClients, arns: list[str]) -> None:
    """Delete INACTIVE revisions (DeleteTaskDefinitions takes at most 10 at a time)."""
    ecs = clients.ecs
    for start in range(0, len(arns), 10):
        with aws_call("ecs", "DeleteTaskDefinitions", ignore=("ClientException",)):
            ecs.delete_task_definitions(taskDefinitions=arns[start : start + 10])


# --- services ------------------------------------------------------------------------------------------


def _deployment(raw: dict[str, Any]) -> Deployment:
    return Deployment(
        id=str(raw.get("id", "")),
        status=str(raw.get("status", "")),
        task_definition=str(raw.get("taskDefinition", "")),
        desired=int(raw.get("desiredCount", 0)),
        running=int(raw.get("runningCount", 0)),
        pending=int(raw.get("pendingCount", 0)),
        failed_tasks=int(raw.get("failedTasks", 0)),
        rollout_state=raw.get("rolloutState"),
        rollout_reason=str(raw.get("rolloutStateReason", "")),
        created=raw.get("createdAt"),
    )


def service_from(raw: dict[str, Any]) -> Service:
    return Service(
        arn=raw["serviceArn"],
        name=raw["serviceName"],
        status=raw.get("status", ""),
        task_definition=str(raw.get("taskDefinition", "")),
        desired=int(raw.get("desiredCount", 0)),
        running=int(raw.get("runningCount", 0)),
        pending=int(raw.get("pendingCount", 0)),
        deployments=tuple(_deployment(d) for d in raw.get("deployments", [])),
        events=tuple(str(e.get("message", "")) for e in raw.get("events", [])[:5]),
        tags=from_list(raw.get("tags")),
        raw=raw,
    )


def describe_services(clients: AwsClients, cluster: str, names: list[str]) -> list[Service]:
    ecs = clients.ecs
    if not names:
        return []
    response = None
    with aws_call("ecs", "DescribeServices", ignore=("ClusterNotFoundException",)):
        response = ecs.describe_services(cluster=cluster, services=names, include=["TAGS"])
    return [service_from(raw) for raw in (response or {}).get("services", [])]


def find_service(clients: AwsClients, cluster: str, name: str) -> Service | None:
    """The service unless missing or INACTIVE (deleted services stay visible as INACTIVE for a while)."""
    for service in describe_services(clients, cluster, [name]):
        if service.name == name and service.status != "INACTIVE":
            return service
    return None


def create_service(clients: AwsClients, spec: dict[str, Any]) -> Service:
    ecs = clients.ecs
    with aws_call("ecs", "CreateService"):
        return service_from(ecs.create_service(**spec)["service"])


def update_service(clients: AwsClients, spec: dict[str, Any]) -> Service:
    ecs = clients.ecs
    with aws_call("ecs", "UpdateService"):
        return service_from(ecs.update_service(**spec)["service"])


def tag_resource(clients: AwsClients, arn: str, tags: dict[str, str]) -> None:
    ecs = clients.ecs
    with aws_call("ecs", "TagResource"):
        ecs.tag_resource(resourceArn=arn, tags=lower_key_value(tags))


def delete_service(clients: AwsClients, cluster: str, name: str) -> None:
    """Scale to zero and delete (force: do not wait for the scale-in before marking it for deletion)."""
    ecs = clients.ecs
    gone = ("ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException")
    with aws_call("ecs", "UpdateService", ignore=gone):
        ecs.update_service(cluster=cluster, service=name, desiredCount=0)
    with aws_call("ecs", "DeleteService", ignore=gone):
        ecs.delete_service(cluster=cluster, service=name, force=True)


# --- tasks ---------------------------------------------------------------------------------------------


def _container_reason(container: dict[str, Any]) -> str:
    text = f"{container.get('name')}: {container.get('reason') or ''}".strip()
    if container.get("exitCode") is not None:
        text += f" (exit {container['exitCode']})"
    return text


def _task(raw: dict[str, Any]) -> Task:
    ip = None
    for attachment in raw.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                ip = detail.get("value")
    reasons = tuple(
        _container_reason(c)
        for c in raw.get("containers", [])
        if c.get("reason") or c.get("exitCode") not in (0, None)
    )
    return Task(
        arn=raw["taskArn"],
        task_definition=str(raw.get("taskDefinitionArn", "")),
        last_status=str(raw.get("lastStatus", "")),
        desired_status=str(raw.get("desiredStatus", "")),
        az=raw.get("availabilityZone"),
        private_ip=ip,
        started_by=str(raw.get("startedBy", "")),
        stop_code=str(raw.get("stopCode", "")),
        stopped_reason=str(raw.get("stoppedReason", "")),
        container_reasons=reasons,
        stopped_at=raw.get("stoppedAt"),
    )


def service_tasks(clients: AwsClients, cluster: str, service: str, *, desired_status: str) -> list[Task]:
    ecs = clients.ecs
    arns: list[str] = []
    with aws_call("ecs", "ListTasks", ignore=("ServiceNotFoundException", "ClusterNotFoundException")):
        for page in ecs.get_paginator("list_tasks").paginate(
            cluster=cluster, serviceName=service, desiredStatus=desired_status
        ):
            arns.extend(page.get("taskArns", []))
    tasks: list[Task] = []
    for start in range(0, len(arns), 100):
        with aws_call("ecs", "DescribeTasks"):
            raw = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100]).get("tasks", [])
        tasks.extend(_task(t) for t in raw)
    return tasks


def stop_task(clients: AwsClients, cluster: str, task: str, reason: str) -> None:
    """Stop one task, as a failure would; the service's scheduler replaces it."""
    with aws_call("ecs", "StopTask"):
        clients.ecs.stop_task(cluster=cluster, task=task, reason=reason)
