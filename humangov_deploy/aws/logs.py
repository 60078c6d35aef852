"""CloudWatch Logs: one log group per state, with a retention so logs do not pile up forever."""

from __future__ import annotations

from dataclasses import dataclass, replace

from humangov_deploy.aws.call import AwsError, aws_call
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


def log_group_arn(partition: str, region: str, account: str, name: str) -> str:
    """The ARN CloudWatch Logs gives a log group (without the `:*` of DescribeLogGroups):
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html"""
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"


def ensure_log_group(
    clients: AwsClients,
    name: str,
    *,
    retention_days: int,
    tags: dict[str, str],
    account: str | None = None,
    partition: str = "aws",
) -> LogGroup:
    """The log group with this retention. With `account`, a new one is not described again
    (CreateLogGroup returns nothing, and DescribeLogGroups may not show it for a moment): its ARN is
    built from its name; without, it is looked up."""
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
    if account is not None:
        return LogGroup(name, log_group_arn(partition, clients.region, account, name), retention_days, None)
    found = find_log_group(clients, name)
    if found is None:
        raise AwsError("logs", "DescribeLogGroups", "ResourceNotFoundException", f"{name} not shown yet")
    return found


def delete_log_group(clients: AwsClients, name: str) -> bool:
    logs = clients.logs
    if find_log_group(clients, name) is None:
        return False
    with aws_call("logs", "DeleteLogGroup", ignore=("ResourceNotFoundException",)):
        logs.delete_log_group(logGroupName=name)
    return True
