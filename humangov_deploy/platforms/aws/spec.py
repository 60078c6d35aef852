"""What the aws platform asks AWS for, as pure functions: policies, task definition, service, target group.

Kept apart from the calls so unit tests can read every setting directly (moto drops some of them, such
as the service's deployment configuration) and so a redeploy can fingerprint the desired configuration.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.build import images
from humangov_deploy.naming import PERMISSIONS_BOUNDARY, PREFIX, StackNames

# The images decide their ports: nginx listens on 8080 because a non-root process cannot bind 80 on
# Fargate; the load balancer keeps the seed's public HTTP:80 and forwards to 8080.
APP_PORT = images.APP_PORT
NGINX_PORT = images.NGINX_PORT
LISTENER_PORT = 80
# One upload limit for both containers: nginx derives client_max_body_size from it at start.
MAX_UPLOAD_MB = "10"
HEALTH_PATH = "/healthz"
TASK_CPU = "1024"
TASK_MEMORY = "3072"
HEALTH_CHECK_GRACE_SECONDS = 30

# Fast health checks: a new task turns healthy after 2 x 5 s, a teardown drains in 5 s (defaults: 30 s
# intervals, 5 healthy checks, 300 s deregistration delay: minutes for each deploy and destroy).
TARGET_GROUP_HEALTH_CHECK: dict[str, Any] = {
    "HealthCheckProtocol": "HTTP",
    "HealthCheckPort": "traffic-port",
    "HealthCheckPath": HEALTH_PATH,
    "HealthCheckIntervalSeconds": 5,
    "HealthCheckTimeoutSeconds": 3,
    "HealthyThresholdCount": 2,
    "UnhealthyThresholdCount": 2,
    "Matcher": {"HttpCode": "200"},
}
TARGET_GROUP_ATTRIBUTES = {"deregistration_delay.timeout_seconds": "5"}
LOAD_BALANCER_ATTRIBUTES = {
    "routing.http.drop_invalid_header_fields.enabled": "true",
    "deletion_protection.enabled": "false",
}


@dataclass(frozen=True)
class Account:
    """The caller's account. `partition` (aws, aws-cn, aws-us-gov) is the second field of its every ARN
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html): no ARN is written `arn:aws:`."""

    id: str
    partition: str
    region: str

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        region = self.region if regional else ""
        account_id = self.id if account else ""
        return f"arn:{self.partition}:{service}:{region}:{account_id}:{resource}"


@dataclass(frozen=True)
class DataRefs:
    """The state's table and bucket, as the task role and the app's environment need them."""

    table: str
    bucket: str
    table_arn: str
    bucket_arn: str


def fingerprint(spec: Any) -> str:
    """A short stable hash of a request, stored as a tag so a redeploy can tell whether it changed."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# --- IAM -----------------------------------------------------------------------------------------------


def ecs_tasks_trust(account: Account | None = None) -> dict[str, Any]:
    """ECS tasks may assume the role. With `account`: only tasks of that account (the confused-deputy
    guard AWS documents for task roles); the execution role's trust stays the plain documented one."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if account is not None:
        statement["Condition"] = {
            "StringEquals": {"aws:SourceAccount": account.id},
            "ArnLike": {"aws:SourceArn": account.arn("ecs", "*")},
        }
    return {"Version": "2012-10-17", "Statement": [statement]}


def task_role_policy(data: DataRefs) -> dict[str, Any]:
    """The app's rights: its own state's table (and indexes) and bucket objects, nothing else: exactly the
    calls the app makes (suites/unit/platforms/aws/test_task_role_actions.py records them on moto)."""
    audit_arn = audit_table_arn(data.table_arn)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StateTable",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",  # counters: the sign-in throttle, the admin count
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                ],
                "Resource": [data.table_arn, f"{data.table_arn}/index/*"],
            },
            {
                # The audit trail is append-only: write new entries and read them, never change or delete.
                "Sid": "StateAudit",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"],
                "Resource": [audit_arn, f"{audit_arn}/index/*"],
            },
            {
                "Sid": "StateBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [data.bucket_arn],
            },
            {
                "Sid": "StateDocuments",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"{data.bucket_arn}/*"],
            },
        ],
    }


def ecr_pull_statements(repositories: list[str]) -> list[dict[str, Any]]:
    """Log in to ECR (GetAuthorizationToken has no resource to scope to) and pull from `repositories`."""
    return [
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
        {
            "Sid": "EcrPull",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            "Resource": repositories,
        },
    ]


def ecr_repository_arn(image: str, account: Account) -> str | None:
    """`<acct>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]` -> the repository's ARN (else None)."""
    host, _, rest = image.partition("/")
    parts = host.split(".")
    if len(parts) < 6 or parts[1:3] != ["dkr", "ecr"] or not rest:
        return None
    repository = rest.split("@", 1)[0]
    if ":" in repository.rsplit("/", 1)[-1]:
        repository = repository.rsplit(":", 1)[0]
    return f"arn:{account.partition}:ecr:{parts[3]}:{parts[0]}:repository/{repository}"


def execution_role_policy(
    *, account: Account, log_group_arn: str, secret_arn: str, images: list[str]
) -> dict[str, Any]:
    """What AmazonECSTaskExecutionRolePolicy grants, narrowed to this state's log group, secret and images."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{log_group_arn}:*"],
        },
        {
            "Sid": "SecretKey",
            "Effect": "Allow",
            "Action": ["ssm:GetParameters"],
            "Resource": [secret_arn],
        },
    ]
    repositories = sorted({arn for arn in (ecr_repository_arn(i, account) for i in images) if arn})
    if repositories:
        statements += ecr_pull_statements(repositories)
    return {"Version": "2012-10-17", "Statement": statements}


def audit_table_arn(table_arn: str) -> str:
    """The state's audit table beside its records table: same partition, region and account."""
    head, _, table = table_arn.rpartition("/")
    return f"{head}/{appsrc.schema().audit_table_for(table)}"


# --- Permissions boundary ------------------------------------------------------------------------------
# A boundary caps what a role's own policies can grant and grants nothing itself
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). The CI role may
# create and re-policy roles only with this one set, so a role it makes can never do more than a HumanGov
# task: each role's inline policy then narrows that to its own state. terraform/bootstrap creates the
# policy from `permissions_boundary_policy` (boundary-policy.json, by `iam_actions --write`).


def permissions_boundary_arn(account: Account) -> str:
    """The boundary's ARN in the caller's partition and account (a managed policy's ARN has no region)."""
    return account.arn("iam", f"policy/{PERMISSIONS_BOUNDARY}", regional=False)


def permissions_boundary_policy(partition: str) -> dict[str, Any]:
    """The most any HumanGov task or execution role may do, for every state (a superset of what
    `task_role_policy` and `execution_role_policy` grant; a unit test holds them to it)."""
    names = f"{PREFIX}-*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StateTableItems",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                ],
                # `*` also covers the tables' indexes (table/NAME/index/INDEX).
                "Resource": [f"arn:{partition}:dynamodb:*:*:table/{names}"],
            },
            {
                "Sid": "StateBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:{partition}:s3:::{names}"],
            },
            {
                "Sid": "StateDocuments",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"arn:{partition}:s3:::{names}/*"],
            },
            {
                "Sid": "TaskLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"arn:{partition}:logs:*:*:log-group:/ecs/{names}"],
            },
            {
                "Sid": "SecretKeys",
                "Effect": "Allow",
                "Action": ["ssm:GetParameters"],
                "Resource": [f"arn:{partition}:ssm:*:*:parameter/{PREFIX}/*"],
            },
            {
                # The secret and the tables are encrypted with KMS keys; decrypting is allowed only when
                # SSM or DynamoDB asks on the role's behalf, never directly.
                "Sid": "DecryptThroughSsmAndDynamodb",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": [f"arn:{partition}:kms:*:*:key/*"],
                "Condition": {
                    "StringLike": {"kms:ViaService": ["ssm.*.amazonaws.com", "dynamodb.*.amazonaws.com"]}
                },
            },
            # Any repository: `--app-image/--nginx-image` may name images outside humangov-*.
            *ecr_pull_statements([f"arn:{partition}:ecr:*:*:repository/*"]),
        ],
    }


# --- ECS -----------------------------------------------------------------------------------------------


def task_definition_spec(
    *,
    names: StackNames,
    region: str,
    app_image: str,
    nginx_image: str,
    data: DataRefs,
    task_role_arn: str,
    execution_role_arn: str,
    secret_arn: str,
) -> dict[str, Any]:
    """The seed's `humangov-fullstack`, per state: app on 8000 and nginx in front in one task (one netns)."""

    def logging(prefix: str) -> dict[str, Any]:
        return {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": names.log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": prefix,
            },
        }

    environment = {
        "AWS_BUCKET": data.bucket,
        "AWS_DYNAMODB_TABLE": data.table,
        "AWS_REGION": region,
        "US_STATE": names.state,
        "MAX_UPLOAD_MB": MAX_UPLOAD_MB,
    }

    def health_check() -> dict[str, Any]:
        # The images' own check (no curl in them); ECS replaces a task whose essential container fails it.
        return {"command": ["CMD", *images.HEALTHCHECK_COMMAND], "interval": 10, "timeout": 5, "retries": 3,
                "startPeriod": 10}  # fmt: skip

    return {
        "family": names.family,
        "taskRoleArn": task_role_arn,
        "executionRoleArn": execution_role_arn,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": TASK_CPU,
        "memory": TASK_MEMORY,
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        "containerDefinitions": [
            {
                "name": "app",
                "image": app_image,
                "essential": True,
                "portMappings": [{"containerPort": APP_PORT, "protocol": "tcp", "name": "app"}],
                "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
                "secrets": [{"name": "SECRET_KEY", "valueFrom": secret_arn}],
                "healthCheck": health_check(),
                "stopTimeout": images.STOP_TIMEOUT_SECONDS,
                "logConfiguration": logging("app"),
            },
            {
                "name": "nginx",
                "image": nginx_image,
                "essential": True,
                "portMappings": [{"containerPort": NGINX_PORT, "protocol": "tcp", "name": "http"}],
                "environment": [{"name": "MAX_UPLOAD_MB", "value": MAX_UPLOAD_MB}],
                "dependsOn": [{"containerName": "app", "condition": "START"}],
                "healthCheck": health_check(),
                "stopTimeout": images.STOP_TIMEOUT_SECONDS,
                "logConfiguration": logging("nginx"),
            },
        ],
    }


def service_network(subnets: list[str], task_security_group: str) -> dict[str, Any]:
    # The default VPC has public subnets and no NAT: tasks need a public IP to reach ECR, S3 and DynamoDB.
    return {
        "awsvpcConfiguration": {
            "subnets": subnets,
            "securityGroups": [task_security_group],
            "assignPublicIp": "ENABLED",
        }
    }


DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


def service_settings(
    *,
    names: StackNames,
    desired_count: int,
    target_group_arn: str,
    subnets: list[str],
    task_security_group: str,
) -> dict[str, Any]:
    """Settings shared by CreateService and UpdateService (fingerprinted to decide whether to update)."""
    return {
        "desiredCount": desired_count,
        "loadBalancers": [
            {"targetGroupArn": target_group_arn, "containerName": "nginx", "containerPort": NGINX_PORT}
        ],
        "networkConfiguration": service_network(subnets, task_security_group),
        "healthCheckGracePeriodSeconds": HEALTH_CHECK_GRACE_SECONDS,
        "deploymentConfiguration": DEPLOYMENT_CONFIGURATION,
    }


def create_service_spec(
    *, names: StackNames, task_definition_arn: str, settings: dict[str, Any]
) -> dict[str, Any]:
    return {
        "cluster": names.cluster,
        "serviceName": names.service,
        "taskDefinition": task_definition_arn,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
        "propagateTags": "SERVICE",
        "enableECSManagedTags": True,
        **settings,
    }


def update_service_spec(
    *, names: StackNames, task_definition_arn: str, settings: dict[str, Any]
) -> dict[str, Any]:
    return {
        "cluster": names.cluster,
        "service": names.service,
        "taskDefinition": task_definition_arn,
        **settings,
    }
