"""What `rollout` needs of the aws platform: which states run, which version each runs, and the way back.

A version is a task definition revision: its two container images, and its ARN (the `ref` a rollback
points the service at again, as ECS's own rollback does).
"""

from __future__ import annotations

from typing import Any

from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import CLUSTER, PREFIX, StackNames
from humangov_deploy.platforms.base import Progress, Version

SERVICE_SUFFIX = "-service"


def deployed_states(clients: AwsClients) -> list[str]:
    """States whose service is in the shared cluster (ACTIVE or DRAINING), from the service names."""
    states = []
    for name in ecs_api.active_service_names(clients, CLUSTER):
        if name.startswith(f"{PREFIX}-") and name.endswith(SERVICE_SUFFIX):
            states.append(name[len(PREFIX) + 1 : -len(SERVICE_SUFFIX)])
    return sorted(states)


def describe_revision(clients: AwsClients, arn: str) -> dict[str, Any] | None:
    ecs = clients.ecs
    response = None
    with aws_call("ecs", "DescribeTaskDefinition", ignore=("ClientException",)):
        response = ecs.describe_task_definition(taskDefinition=arn)
    return dict(response["taskDefinition"]) if response else None


def version_of(raw: dict[str, Any]) -> Version:
    images = {str(c.get("name")): str(c.get("image") or "") for c in raw.get("containerDefinitions", [])}
    arn = str(raw["taskDefinitionArn"])
    return Version(app=images.get("app", ""), nginx=images.get("nginx", ""), ref=arn)


def current_version(clients: AwsClients, names: StackNames) -> Version | None:
    """The revision the service runs (its primary deployment's, on AWS); None without a service."""
    service = ecs_api.find_service(clients, names.cluster, names.service)
    if service is None:
        return None
    # The service's own taskDefinition, not its PRIMARY deployment's: the same on AWS, and moto never
    # updates a deployment's taskDefinition after UpdateService.
    raw = describe_revision(clients, service.task_definition)
    return version_of(raw) if raw else None


def revision_is_active(clients: AwsClients, arn: str) -> bool:
    # A DEREGISTERED (INACTIVE) revision cannot start new tasks:
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deregister-task-definition-v2.html
    raw = describe_revision(clients, arn)
    return raw is not None and raw.get("status") == "ACTIVE"


def point_service_at(
    clients: AwsClients, names: StackNames, revision_arn: str, progress: Progress
) -> tuple[str, str]:
    """UpdateService to an earlier revision (nothing else changes); returns (deployment id, target group)."""
    if ecs_api.find_service(clients, names.cluster, names.service) is None:
        raise ConfigError(f"{names.state} has no service {names.service} to roll back")
    progress(f"rolling {names.service} back to {revision_arn.rsplit('/', 1)[-1]}")
    service = ecs_api.update_service(
        clients, {"cluster": names.cluster, "service": names.service, "taskDefinition": revision_arn}
    )
    primary = service.primary
    if primary is None:
        raise ConfigError(f"service {names.service} has no primary deployment after the rollback")
    target_group = elbv2_api.find_target_group(clients, names.target_group)
    return primary.id, target_group.arn if target_group else ""
