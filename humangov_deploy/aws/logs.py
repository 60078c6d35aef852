"""CloudWatch Logs: one log group per state, with a retention so logs do not pile up forever."""

from __future__ import annotations

from dataclasses import dataclass, replace

from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients


@dataclass(frozen=True)
class LogGroup:
    name: str
    arn: str
    retention_days: int | None
    created_ms: int | None


def find_log_group(clients: AwsClients, name: str) -> LogGroup | None:
    logs = clients.logs
    with aws_call("logs", "DescribeLogGroups"):
        groups = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    for group in groups:
        if group["logGroupName"] == name:
            arn = str(group.get("arn", "")).removesuffix(":*")
            return LogGroup(name, arn, group.get("retentionInDays"), group.get("creationTime"))
    return None


def ensure_log_group(
    clients: AwsClients, name: str, *, retention_days: int, tags: dict[str, str]
) -> LogGroup:
    logs = clients.logs
    existing = find_log_group(clients, name)
    if existing is None:
        with aws_call("logs", "CreateLogGroup", ignore=("ResourceAlreadyExistsException",)):
            logs.create_log_group(logGroupName=name, tags=tags)
    if existing is None or existing.retention_days != retention_days:
        with aws_call("logs", "PutRetentionPolicy"):
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
    if existing is not None:
        return replace(existing, retention_days=retention_days)  # found once: not described again
    found = find_log_group(clients, name)
    assert found is not None  # just created (its ARN comes from AWS)
    return found


def delete_log_group(clients: AwsClients, name: str) -> bool:
    logs = clients.logs
    if find_log_group(clients, name) is None:
        return False
    with aws_call("logs", "DeleteLogGroup", ignore=("ResourceNotFoundException",)):
        logs.delete_log_group(logGroupName=name)
    return True
