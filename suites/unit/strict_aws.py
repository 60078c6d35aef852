"""The strict layer: moto held to what AWS documents, where moto accepts calls AWS refuses or delays.

A fixture (`strict_aws`) starts moto and wraps some of its backends' methods: each wrapper checks one
documented precondition or timing of AWS and raises the error AWS answers, else calls moto. Every rule is
listed in RULES with the AWS page it comes from (the README's "What the unit suite holds AWS to" is the
same list). Time is the strict layer's FakeClock: it advances only when the code under test sleeps (the
platform's injected sleep, or `time.sleep`, which the fixture points at the same clock), so "for a while
after" rules clear exactly when the code under test waits for them, and never on the wall clock.

Rules that AWS applies "for a few seconds" and that the code can only meet by retrying are modelled as
"the first attempt on a resource is refused", so they bite whatever sleep the code uses.
"""

from __future__ import annotations

import inspect
import json
import random
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fake_clock import FakeClock
from moto import mock_aws
from moto.core.exceptions import ServiceException

from humangov_deploy.clients import AwsClients

ACCOUNT = "123456789012"
REGION = "us-east-1"

# Timings (seconds of the strict clock). AWS gives no exact figures; these are on the short side of what
# is seen, long enough that code which does not wait fails.
ELB_ENI_LINGER = 120.0  # a deleted load balancer's network interfaces keep its security groups in use
TASK_ENI_LINGER = 60.0  # a deleted service's stopped tasks' interfaces keep the tasks' group in use
IAM_PROPAGATION = 10.0  # a new role cannot be assumed (by ECS) this long after CreateRole
TAGGING_LAG = 60.0  # the tagging API shows a new resource this long after it was made
TABLE_DELETING = 30.0  # a deleted table stays DELETING (still described) this long
READ_LAG = 2.0  # a resource just made is missing from reads that name it this long (eventual consistency)
LISTENER_PROPAGATION = 5.0  # ECS sees a new listener's target group as attached this long after
ECS_SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"


@dataclass(frozen=True)
class Rule:
    summary: str
    doc: str  # the AWS documentation page the rule comes from


RULES: dict[str, Rule] = {
    "ec2-group-referenced": Rule(
        "DeleteSecurityGroup fails with DependencyViolation, for good, while another group's rule names it",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html",
    ),
    "ec2-group-of-load-balancer": Rule(
        "a load balancer's security groups stay in use (DependencyViolation) while it exists and for "
        f"{ELB_ENI_LINGER:.0f} s after it is deleted: its network interfaces go later",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html",
    ),
    "ec2-group-of-service": Rule(
        "an ECS service's task security groups stay in use (DependencyViolation) while the service is "
        f"active and for {TASK_ENI_LINGER:.0f} s after it is deleted: its tasks' network interfaces go later",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html",
    ),
    "ecs-target-group-needs-listener": Rule(
        "CreateService/UpdateService with a target group that no listener forwards to fails with "
        "InvalidParameterException (the target group does not have an associated load balancer)",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html",
    ),
    "ecs-first-cluster-service-linked-role": Rule(
        "the first CreateCluster of an account, where AWSServiceRoleForECS does not exist yet, fails once "
        "with InvalidParameterException (unable to assume the service linked role) while ECS creates it",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html",
    ),
    "ecs-new-role-propagation": Rule(
        f"a role is not yet valid for ECS for {IAM_PROPAGATION:.0f} s after CreateRole: "
        "RegisterTaskDefinition naming it fails with ClientException (Role is not valid), or "
        "AccessDeniedException on iam:PassRole",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency",
    ),
    "ecs-listener-propagation": Rule(
        f"for {LISTENER_PROPAGATION:.0f} s after CreateListener/ModifyListener makes a listener forward to a "
        "target group, CreateService with it still fails with InvalidParameterException (the target group "
        "does not have an associated load balancer)",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html",
    ),
    "ec2-read-after-create": Rule(
        f"for {READ_LAG:.0f} s after CreateSecurityGroup, DescribeSecurityGroups does not show the group "
        "(InvalidGroup.NotFound when named by id) and rule changes on it fail with InvalidGroup.NotFound",
        "https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html",
    ),
    "iam-read-after-create": Rule(
        f"for {READ_LAG:.0f} s after CreateRole, GetRole answers NoSuchEntity",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency",
    ),
    "elbv2-read-after-create": Rule(
        f"for {READ_LAG:.0f} s after CreateLoadBalancer/CreateTargetGroup, a describe naming it answers "
        "LoadBalancerNotFound/TargetGroupNotFound, and a listing leaves it out",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeLoadBalancers.html",
    ),
    "logs-read-after-create": Rule(
        f"for {READ_LAG:.0f} s after CreateLogGroup, DescribeLogGroups leaves it out",
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
    "ssm-read-after-create": Rule(
        f"for {READ_LAG:.0f} s after PutParameter makes a parameter, GetParameter answers ParameterNotFound",
        "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html",
    ),
    "ecs-task-start-retried": Rule(
        "a new deployment's first task fails to start (stopCode TaskFailedToStart, "
        "ResourceInitializationError) and ECS starts another: the service still reaches its count",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html",
    ),
    "ecs-fargate-vcpu-quota": Rule(
        "with `StrictAws.vcpu_quota` set, a deployment that would run more Fargate vCPUs than the quota "
        "places no task: it stays IN_PROGRESS and the service's events say it reached the vCPU limit",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html",
    ),
    "dynamodb-delete-table-async": Rule(
        f"DeleteTable only starts the deletion: the table is DELETING for {TABLE_DELETING:.0f} s here "
        "(described, listed), and a second DeleteTable or UpdateTable meanwhile fails with "
        "ResourceInUseException",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html",
    ),
    "iam-boundary-must-exist": Rule(
        "CreateRole/PutRolePermissionsBoundary naming a permissions boundary policy that does not exist "
        "fail with NoSuchEntity",
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
    ),
    "ecs-inactive-cluster": Rule(
        "a deleted cluster stays visible as INACTIVE, and CreateService/UpdateService on it fail with "
        "ClusterNotFoundException",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html",
    ),
    "ecs-cluster-with-services": Rule(
        "DeleteCluster fails with ClusterContainsServicesException while the cluster has an active service",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html",
    ),
    "ecs-deleted-service-drains": Rule(
        "a deleted service is DRAINING (still returned by DescribeServices) until its tasks stopped, "
        f"{TASK_ENI_LINGER:.0f} s here, and INACTIVE after",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html",
    ),
    "dynamodb-pitr-after-create": Rule(
        "UpdateContinuousBackups right after a table turns ACTIVE fails with "
        "ContinuousBackupsUnavailableException (first attempt per table)",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html",
    ),
    "dynamodb-ttl-twice": Rule(
        "UpdateTimeToLive that enables TTL on a table where it is already enabled fails with "
        "ValidationException (TimeToLive is already enabled)",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html",
    ),
    "ecr-immutable-tag": Rule(
        "PutImage of a tag that exists with another digest in an IMMUTABLE repository fails with "
        "ImageTagAlreadyExistsException",
        "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html",
    ),
    "resourcegroupstaggingapi-lag": Rule(
        f"GetResources shows a new resource only {TAGGING_LAG:.0f} s after it was made",
        "https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html",
    ),
    "s3-bucket-settings-after-create": Rule(
        "bucket configuration right after CreateBucket can fail with NoSuchBucket: bucket configuration "
        "is eventually consistent (first attempt per bucket and setting)",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel",
    ),
}

# What AWS accepts but leaves a state unreachable for a while: recorded in `StrictAws.hazards` (a test
# asserts there are none), never refused.
HAZARDS: dict[str, Rule] = {
    "elb-redirect-to-closed-port": Rule(
        "a load balancer's security group stops allowing a port while one of its listeners still redirects "
        "clients to it: every redirected request times out until the listener changes",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html",
    ),
}

S3_SETTINGS = (
    "put_bucket_versioning",
    "put_bucket_policy",
    "put_bucket_encryption",
    "put_bucket_ownership_controls",
    "put_bucket_lifecycle",
    "put_bucket_tagging",
    "put_public_access_block",
)


def _refuse(service: str, code: str, message: str) -> ServiceException:
    # moto serializes an error in the protocol of the service named by the exception's module.
    kind = type(f"Strict{code}", (ServiceException,), {"__module__": f"moto.{service}.exceptions"})
    return kind(code, message)


def _args(method: Callable[..., Any], backend: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    bound = inspect.signature(method).bind(backend, *args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


# The schedule explorer's throttling answers, per service (what each API documents; botocore's standard
# retry mode retries every one of them: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
THROTTLING = {
    "ec2": "RequestLimitExceeded",  # https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
    "ecs": "ThrottlingException",
    "elbv2": "Throttling",
    "iam": "Throttling",
    "logs": "ThrottlingException",
    "ssm": "ThrottlingException",
    "dynamodb": "ThrottlingException",
}


class Schedule:
    """A seeded draw of AWS's documented transient behaviours, applied at random points of a whole cycle.

    Every timing rule lasts a drawn multiple (0.1 to 2.5) of its fixed figure, drawn once per resource;
    about one call in 30 of the services in THROTTLING answers their throttling error (never the same
    operation twice in a row: a burst the SDK's retry absorbs). The draws depend only on the seed and the
    order of the calls, so a seed replays the same schedule.
    """

    def __init__(self, seed: int, throttle_rate: float = 1 / 30) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.throttle_rate = throttle_rate
        self.spans: dict[tuple[float, str], float] = {}
        self.last_throttled: tuple[str, str] | None = None
        self.throttled: list[str] = []

    def span(self, base: float, key: str) -> float:
        if (base, key) not in self.spans:
            self.spans[(base, key)] = base * self.rng.uniform(0.1, 2.5)
        return self.spans[(base, key)]

    def throttles(self, service: str, action: str) -> bool:
        if service not in THROTTLING or self.last_throttled == (service, action):
            self.last_throttled = None
            return False
        if self.rng.random() < self.throttle_rate:
            self.last_throttled = (service, action)
            self.throttled.append(f"{service}.{action}")
            return True
        return False


@dataclass
class StrictAws:
    """moto with the rules on; `off(rule)` lets one through (to show what moto alone would accept)."""

    clock: FakeClock = field(default_factory=FakeClock)
    enabled: set[str] = field(default_factory=lambda: set(RULES))
    born: dict[str, float] = field(default_factory=dict)  # ARN -> when it was made
    lb_groups_released: dict[str, float] = field(default_factory=dict)  # group id -> free from
    task_groups_released: dict[str, float] = field(default_factory=dict)
    draining: dict[str, float] = field(default_factory=dict)  # service ARN -> INACTIVE from
    first_attempts: set[tuple[str, str]] = field(default_factory=set)
    tables_deleting: dict[str, float] = field(default_factory=dict)  # table name -> gone from
    listeners_born: dict[str, float] = field(default_factory=dict)  # target group ARN -> forwarded to since
    refusals: list[str] = field(default_factory=list)  # "rule: message", what the rules refused
    hazards: list[str] = field(default_factory=list)  # "hazard: what", what AWS accepted but hurts
    made: dict[tuple[str, str], float] = field(default_factory=dict)  # (service, id or name) -> when
    schedule: Schedule | None = None  # the schedule explorer's draws (`explore(seed)`), else fixed timings
    vcpu_quota: float | None = None  # Fargate On-Demand vCPUs of the account (None: not modelled)

    @property
    def clients(self) -> AwsClients:
        return AwsClients(region=REGION)

    def explore(self, seed: int) -> Schedule:
        """Turn on the schedule explorer: timings drawn per resource, transient throttling (see Schedule)."""
        self.schedule = Schedule(seed)
        return self.schedule

    def span(self, base: float, key: str) -> float:
        """How long a timing rule lasts for this resource: `base`, or the explorer's draw for it."""
        return base if self.schedule is None else self.schedule.span(base, key)

    def on(self, rule: str) -> bool:
        return rule in self.enabled

    def off(self, *rules: str) -> None:
        unknown = set(rules) - set(RULES)
        assert not unknown, f"unknown rules {unknown}"
        self.enabled -= set(rules)

    def refuse(self, rule: str, code: str, message: str) -> ServiceException:
        self.refusals.append(f"{rule}: {code}: {message}")
        return _refuse(rule.split("-", 1)[0], code, message)

    def first_attempt(self, rule: str, key: str) -> bool:
        if (rule, key) in self.first_attempts:
            return False
        self.first_attempts.add((rule, key))
        return True

    # --- install ----------------------------------------------------------------------------------------

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.ec2.models.security_groups import SecurityGroupBackend
        from moto.ecr.models import ECRBackend
        from moto.ecs.models import EC2ContainerServiceBackend
        from moto.elbv2.models import ELBv2Backend
        from moto.iam.models import IAMBackend
        from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
        from moto.s3.models import S3Backend

        def wrap(cls: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
            monkeypatch.setattr(cls, name, make(getattr(cls, name)))

        wrap(SecurityGroupBackend, "delete_security_group", self._delete_security_group)
        wrap(SecurityGroupBackend, "revoke_security_group_ingress", self._revoke_ingress)
        wrap(ELBv2Backend, "create_load_balancer", self._record_birth)
        wrap(ELBv2Backend, "create_target_group", self._record_birth)
        wrap(ELBv2Backend, "delete_load_balancer", self._delete_load_balancer)
        wrap(EC2ContainerServiceBackend, "create_cluster", self._create_cluster)
        wrap(EC2ContainerServiceBackend, "delete_cluster", self._delete_cluster)
        wrap(EC2ContainerServiceBackend, "create_service", self._create_service)
        wrap(EC2ContainerServiceBackend, "update_service", self._update_service)
        wrap(EC2ContainerServiceBackend, "delete_service", self._delete_service)
        wrap(EC2ContainerServiceBackend, "describe_services", self._describe_services)
        wrap(EC2ContainerServiceBackend, "register_task_definition", self._register_task_definition)
        wrap(IAMBackend, "create_role", self._create_role)
        wrap(IAMBackend, "put_role_permissions_boundary", self._put_role_permissions_boundary)
        wrap(DynamoDBBackend, "create_table", self._create_table)
        wrap(DynamoDBBackend, "delete_table", self._delete_table)
        wrap(DynamoDBBackend, "describe_table", self._describe_table)
        wrap(DynamoDBBackend, "update_table", self._update_table)
        wrap(DynamoDBBackend, "list_tables", self._list_tables)
        wrap(ELBv2Backend, "create_listener", self._listener_change)
        wrap(ELBv2Backend, "modify_listener", self._listener_change)
        wrap(DynamoDBBackend, "update_continuous_backups", self._update_continuous_backups)
        wrap(DynamoDBBackend, "update_time_to_live", self._update_time_to_live)
        wrap(ECRBackend, "put_image", self._put_image)
        wrap(S3Backend, "create_bucket", self._record_birth)
        for setting in S3_SETTINGS:
            wrap(S3Backend, setting, self._bucket_setting)
        wrap(ResourceGroupsTaggingAPIBackend, "get_resources", self._get_resources)
        self._install_read_lag(monkeypatch)
        self._install_throttling(monkeypatch)
        # botocore's waiters and anything else that sleeps advance the strict clock instead of waiting.
        monkeypatch.setattr(time, "sleep", self.clock.sleep)

    def _install_throttling(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.core.responses import BaseResponse
        from moto.core.utils import camelcase_to_underscores

        strict, original = self, BaseResponse.call_action

        def call_action(response: Any) -> Any:
            service = type(response).__module__.split(".")[1]
            action = camelcase_to_underscores(response._get_action())
            if strict.schedule is not None and strict.schedule.throttles(service, action):

                def throttled() -> Any:
                    raise _refuse(service, THROTTLING[service], "Rate exceeded")

                setattr(response, action, throttled)  # this request only: an instance attribute
                with warnings.catch_warnings():
                    # moto's models of some services (IAM) list no throttling error shape; AWS sends it.
                    warnings.simplefilter("ignore", UserWarning)
                    return original(response)
            return original(response)

        monkeypatch.setattr(BaseResponse, "call_action", call_action)

    # --- read after create (eventual consistency of EC2, IAM, ELB, Logs, SSM) --------------------------

    def young(self, service: str, key: str) -> bool:
        made = self.made.get((service, key))
        return (
            self.on(f"{service}-read-after-create")
            and made is not None
            and self.clock() < made + self.span(READ_LAG, f"{service}:{key}")
        )

    def _install_read_lag(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.ec2.models.security_groups import SecurityGroupBackend
        from moto.ec2.responses.security_groups import SecurityGroups
        from moto.elbv2.responses import ELBV2Response
        from moto.iam.responses import IamResponse
        from moto.logs.models import LogsBackend
        from moto.logs.responses import LogsResponse
        from moto.ssm.models import SimpleSystemManagerBackend
        from moto.ssm.responses import SimpleSystemManagerResponse

        strict = self

        def births(cls: type, name: str, service: str, key: Callable[[Any, dict[str, Any]], str]) -> None:
            original = getattr(cls, name)

            def create(backend: Any, *args: Any, **kwargs: Any) -> Any:
                arguments = _args(original, backend, args, kwargs)
                made = original(backend, *args, **kwargs)
                strict.made.setdefault((service, key(made, arguments)), strict.clock())
                return made

            monkeypatch.setattr(cls, name, create)

        births(SecurityGroupBackend, "create_security_group", "ec2", lambda made, _a: made.id)
        births(LogsBackend, "create_log_group", "logs", lambda _m, a: a["log_group_name"])
        births(SimpleSystemManagerBackend, "put_parameter", "ssm", lambda _m, a: a["name"])

        def api(cls: type, name: str, check: Callable[[Any, Any], Any]) -> None:
            original = getattr(cls, name)

            def handler(response: Any) -> Any:
                return check(response, lambda: original(response))

            monkeypatch.setattr(cls, name, handler)

        def missing_group(group_id: str) -> ServiceException:
            return strict.refuse(
                "ec2-read-after-create",
                "InvalidGroup.NotFound",
                f"The security group '{group_id}' does not exist",
            )

        def describe_groups(response: Any, call: Callable[[], Any]) -> Any:
            for group_id in response._get_param("GroupIds", []):
                if strict.young("ec2", group_id):
                    raise missing_group(group_id)
            result = call()
            groups = result.result["SecurityGroups"]
            groups[:] = [g for g in groups if not strict.young("ec2", g.id)]
            return result

        def change_rules(response: Any, call: Callable[[], Any]) -> Any:
            group_id = response._get_param("GroupId")
            if group_id and strict.young("ec2", group_id):
                raise missing_group(group_id)
            return call()

        api(SecurityGroups, "describe_security_groups", describe_groups)
        for name in (
            "authorize_security_group_ingress",
            "authorize_security_group_egress",
            "revoke_security_group_ingress",
            "revoke_security_group_egress",
        ):
            api(SecurityGroups, name, change_rules)

        def get_role(response: Any, call: Callable[[], Any]) -> Any:
            name = response._get_param("RoleName")
            if strict.young("iam", name):
                raise strict.refuse(
                    "iam-read-after-create", "NoSuchEntity", f"The role with name {name} cannot be found."
                )
            return call()

        api(IamResponse, "get_role", get_role)

        def elb_describe(key: str, code: str, what: str) -> Callable[[Any, Callable[[], Any]], Any]:
            def describe(response: Any, call: Callable[[], Any]) -> Any:
                named = response._get_param("Names", []) or response._get_param(f"{key}Arns", [])
                result = call()
                items = result.result[f"{key}s"]
                fresh = [i for i in items if strict.young("elbv2", i.arn)]
                if fresh and named:
                    raise strict.refuse("elbv2-read-after-create", code, f"One or more {what} not found")
                items[:] = [i for i in items if i not in fresh]
                return result

            return describe

        api(
            ELBV2Response,
            "describe_load_balancers",
            elb_describe("LoadBalancer", "LoadBalancerNotFound", "load balancers"),
        )
        api(
            ELBV2Response,
            "describe_target_groups",
            elb_describe("TargetGroup", "TargetGroupNotFound", "target groups"),
        )

        def describe_log_groups(response: Any, call: Callable[[], Any]) -> Any:
            answer = json.loads(call())
            answer["logGroups"] = [
                g for g in answer["logGroups"] if not strict.young("logs", g["logGroupName"])
            ]
            return json.dumps(answer)

        api(LogsResponse, "describe_log_groups", describe_log_groups)

        def get_parameter(response: Any, call: Callable[[], Any]) -> Any:
            name = response._get_param("Name")
            if strict.young("ssm", name):
                from moto.ssm.exceptions import ParameterNotFound

                strict.refusals.append(f"ssm-read-after-create: ParameterNotFound: {name}")
                raise ParameterNotFound(f"Parameter {name} not found.")
            return call()

        api(SimpleSystemManagerResponse, "get_parameter", get_parameter)

    # --- births (what the tagging lag and IAM propagation are measured from) -----------------------------

    def _record_birth(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def record(backend: Any, *args: Any, **kwargs: Any) -> Any:
            made = original(backend, *args, **kwargs)
            arn = getattr(made, "arn", None) or getattr(made, "table_arn", None)
            if arn:
                strict.born[str(arn)] = strict.clock()
                strict.made.setdefault((type(backend).__module__.split(".")[1], str(arn)), strict.clock())
            if type(backend).__module__.startswith("moto.iam"):
                strict.made.setdefault(("iam", made.name), strict.clock())
            return made

        return record

    # --- IAM ---------------------------------------------------------------------------------------------

    def _check_boundary(self, iam: Any, boundary: str | None) -> None:
        if boundary and self.on("iam-boundary-must-exist") and boundary not in iam.managed_policies:
            raise self.refuse(
                "iam-boundary-must-exist",
                "NoSuchEntity",
                f"Scope ARN: {boundary} does not exist or is not attachable.",
            )

    def _create_role(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict, record = self, self._record_birth(original)

        def create(backend: Any, *args: Any, **kwargs: Any) -> Any:
            boundary = _args(original, backend, args, kwargs).get("permissions_boundary")
            strict._check_boundary(backend, boundary)
            return record(backend, *args, **kwargs)

        return create

    def _put_role_permissions_boundary(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def put(backend: Any, *args: Any, **kwargs: Any) -> Any:
            boundary = _args(original, backend, args, kwargs).get("permissions_boundary")
            strict._check_boundary(backend, boundary)
            return original(backend, *args, **kwargs)

        return put

    def apply_bootstrap_boundary(self) -> str:
        """What terraform/bootstrap makes that every deploy needs: the roles' permissions boundary."""
        from humangov_deploy.naming import PERMISSIONS_BOUNDARY
        from humangov_deploy.platforms.aws.spec import permissions_boundary_policy

        policy = self.clients.iam.create_policy(
            PolicyName=PERMISSIONS_BOUNDARY, PolicyDocument=json.dumps(permissions_boundary_policy("aws"))
        )
        return str(policy["Policy"]["Arn"])

    # --- EC2 ---------------------------------------------------------------------------------------------

    def _delete_security_group(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def delete(backend: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = _args(original, backend, args, kwargs)
            group = backend.get_security_group_by_name_or_id(
                arguments.get("group_id") or arguments.get("name"), None
            )
            if group is not None:
                strict._check_group_free(backend, group.id)
            return original(backend, *args, **kwargs)

        return delete

    def _check_group_free(self, ec2: Any, group_id: str) -> None:
        now = self.clock()
        if self.on("ec2-group-referenced"):
            for groups in ec2.groups.values():
                for other in groups.values():
                    if other.id == group_id:
                        continue
                    for rule in [*other.ingress_rules, *other.egress_rules]:
                        if (rule.source_group or {}).get("GroupId") == group_id:
                            raise self.refuse(
                                "ec2-group-referenced",
                                "DependencyViolation",
                                f"resource {group_id} has a dependent object (a rule of {other.id})",
                            )
        if self.on("ec2-group-of-load-balancer"):
            in_use = any(group_id in (lb.security_groups or []) for lb in _elbv2().load_balancers.values())
            if in_use or now < self.lb_groups_released.get(group_id, now):
                raise self.refuse(
                    "ec2-group-of-load-balancer",
                    "DependencyViolation",
                    f"resource {group_id} has a dependent object (a load balancer's network interface)",
                )
        if self.on("ec2-group-of-service"):
            in_use = any(
                group_id in _service_groups(service) and service.status == "ACTIVE"
                for service in _ecs().services.values()
            )
            if in_use or now < self.task_groups_released.get(group_id, now):
                raise self.refuse(
                    "ec2-group-of-service",
                    "DependencyViolation",
                    f"resource {group_id} has a dependent object (a task's network interface)",
                )

    def _revoke_ingress(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def revoke(backend: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = _args(original, backend, args, kwargs)
            group = backend.get_security_group_by_name_or_id(arguments["group_name_or_id"], None)
            low, high = int(arguments.get("from_port") or -1), int(arguments.get("to_port") or -1)
            for lb in _elbv2().load_balancers.values():
                if group is None or group.id not in (lb.security_groups or []):
                    continue
                for listener in lb.listeners.values():
                    for action in listener.default_actions:
                        redirect = action.data.get("RedirectConfig") or {}
                        port = str(redirect.get("Port", ""))
                        if port.isdigit() and low <= int(port) <= high:
                            strict.hazards.append(
                                f"elb-redirect-to-closed-port: {group.id} closes {port} while the "
                                f"listener on {listener.port} redirects there"
                            )
            return original(backend, *args, **kwargs)

        return revoke

    # --- ELBv2 -------------------------------------------------------------------------------------------

    def _delete_load_balancer(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def delete(backend: Any, arn: str) -> Any:
            lb = backend.load_balancers.get(arn)
            if lb is not None:
                for group_id in lb.security_groups or []:
                    strict.lb_groups_released[group_id] = strict.clock() + strict.span(
                        ELB_ENI_LINGER, group_id
                    )
            return original(backend, arn)

        return delete

    # --- ECS ---------------------------------------------------------------------------------------------

    def _create_cluster(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def create(backend: Any, *args: Any, **kwargs: Any) -> Any:
            rule = "ecs-first-cluster-service-linked-role"
            iam = _iam()
            if strict.on(rule) and ECS_SERVICE_LINKED_ROLE.lower() not in {
                r.name.lower() for r in iam.roles.values()
            }:
                # ECS makes the role on this first call; the call itself fails (the new role is not usable
                # yet), and a retry succeeds.
                iam.create_service_linked_role("ecs.amazonaws.com", "ECS service-linked role", "")
                raise strict.refuse(
                    rule,
                    "InvalidParameterException",
                    "Unable to assume the service linked role. Please verify that the ECS service linked "
                    "role exists.",
                )
            made = original(backend, *args, **kwargs)
            strict.born[made.arn] = strict.clock()
            return made

        return create

    def _delete_cluster(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def delete(backend: Any, cluster_str: str) -> Any:
            name = cluster_str.split("/")[-1]
            if strict.on("ecs-cluster-with-services"):
                active = [
                    s
                    for s in backend.services.values()
                    if s.cluster_name == name and s.status in ("ACTIVE", "DRAINING")
                ]
                if active:
                    raise strict.refuse(
                        "ecs-cluster-with-services",
                        "ClusterContainsServicesException",
                        "The Cluster cannot be deleted while Services are active.",
                    )
            return original(backend, cluster_str)

        return delete

    def _check_cluster_active(self, backend: Any, cluster_str: str) -> None:
        cluster = backend.clusters.get(cluster_str.split("/")[-1])
        if self.on("ecs-inactive-cluster") and cluster is not None and cluster.status == "INACTIVE":
            raise self.refuse(
                "ecs-inactive-cluster", "ClusterNotFoundException", "The referenced cluster was inactive."
            )

    def _check_target_groups(self, load_balancers: list[dict[str, Any]] | None) -> None:
        if not self.on("ecs-target-group-needs-listener"):
            return
        elbv2 = _elbv2()
        for lb in load_balancers or []:
            arn = lb.get("targetGroupArn")
            if arn and not elbv2._any_listener_using(arn):
                raise self.refuse(
                    "ecs-target-group-needs-listener",
                    "InvalidParameterException",
                    f"The target group with targetGroupArn {arn} does not have an associated load balancer.",
                )
            since = self.listeners_born.get(arn or "")
            rule = "ecs-listener-propagation"
            if (
                self.on(rule)
                and since is not None
                and self.clock() < since + self.span(LISTENER_PROPAGATION, arn or "")
            ):
                raise self.refuse(
                    rule,
                    "InvalidParameterException",
                    f"The target group with targetGroupArn {arn} does not have an associated load balancer.",
                )

    def _create_service(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def create(backend: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = _args(original, backend, args, kwargs)
            strict._check_cluster_active(backend, arguments["cluster_str"])
            strict._check_target_groups(arguments.get("load_balancers"))
            made = original(backend, *args, **kwargs)
            strict.born[made.arn] = strict.clock()
            strict._new_deployment(backend, made)
            return made

        return create

    def _update_service(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def update(backend: Any, service_properties: dict[str, Any]) -> Any:
            strict._check_cluster_active(backend, service_properties.get("cluster", "default"))
            strict._check_target_groups(service_properties.get("load_balancers"))
            rolls = service_properties.get("task_definition") is not None
            service = original(backend, service_properties)
            if rolls:
                strict._new_deployment(backend, service)
            return service

        return update

    def _new_deployment(self, backend: Any, service: Any) -> None:
        """What ECS does with a new deployment that moto completes at once: a task that fails to start,
        and no task at all past the account's vCPU quota."""
        if not service.deployments:
            return
        deployment = service.deployments[0]
        if self.on("ecs-fargate-vcpu-quota") and self.vcpu_quota is not None:
            wanted = sum(
                _vcpus(backend, other) * other.desired_count
                for other in backend.services.values()
                if other.status == "ACTIVE"
            )
            if wanted > self.vcpu_quota:
                deployment.update(rolloutState="IN_PROGRESS", runningCount=0, pendingCount=0)
                service.running_count = 0
                message = (
                    f"(service {service.name}) was unable to place a task. Reason: You've reached the limit "
                    "on the number of vCPUs you can run concurrently."
                )
                service.events.insert(
                    0,
                    {
                        "id": f"strict-{len(self.refusals)}",
                        "createdAt": deployment["createdAt"],
                        "message": message,
                    },
                )
                self.refusals.append(f"ecs-fargate-vcpu-quota: {message}")
                return
        if not self.on("ecs-task-start-retried") or not service.network_configuration:
            return
        failures = 1 if self.schedule is None else self.schedule.rng.randint(0, 2)
        for _ in range(failures):
            self._stopped_at_start(backend, service, str(deployment["id"]))

    def _stopped_at_start(self, backend: Any, service: Any, deployment_id: str) -> None:
        from moto.ec2.models import ec2_backends
        from moto.ecs.models import Task

        cluster = backend.clusters[service.cluster_name]
        task = Task(
            cluster,
            backend.describe_task_definition(service.task_definition),
            None,
            None,
            backend,
            f"service:{service.name}",
            launch_type="FARGATE",
            started_by=deployment_id,
            networking_configuration=service.network_configuration or None,
        )
        for attachment in task.attachments:  # its interface is gone with it
            for detail in attachment["details"]:
                if detail["name"] == "networkInterfaceId":
                    ec2_backends[ACCOUNT][REGION].enis.pop(detail["value"], None)
        task.attachments = []
        task.desired_status = task.last_status = "STOPPED"
        task.stop_code = "TaskFailedToStart"
        task.stopped_reason = (
            "ResourceInitializationError: failed to configure ENI: timed out waiting for the network "
            "interface to attach"
        )
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        self.refusals.append(f"ecs-task-start-retried: {task.task_arn}")

    def _delete_service(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def delete(backend: Any, *args: Any, **kwargs: Any) -> Any:
            service = original(backend, *args, **kwargs)
            release = strict.clock() + strict.span(TASK_ENI_LINGER, service.arn)
            for group_id in _service_groups(service):
                strict.task_groups_released[group_id] = release
            if strict.on("ecs-deleted-service-drains"):
                service.status = "DRAINING"
                strict.draining[service.arn] = release
            return service

        return delete

    def _describe_services(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def describe(backend: Any, *args: Any, **kwargs: Any) -> Any:
            now = strict.clock()
            for service in backend.services.values():
                if service.status == "DRAINING" and now >= strict.draining.get(service.arn, now):
                    service.status = "INACTIVE"
            return original(backend, *args, **kwargs)

        return describe

    def _register_task_definition(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def register(backend: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = _args(original, backend, args, kwargs)
            rule = "ecs-new-role-propagation"
            for role_arn in (arguments.get("task_role_arn"), arguments.get("execution_role_arn")):
                born = strict.born.get(role_arn or "")
                if (
                    strict.on(rule)
                    and born is not None
                    and strict.clock() < born + strict.span(IAM_PROPAGATION, role_arn or "")
                ):
                    # ECS answers either, depending on which of its checks meets the new role first.
                    if strict.first_attempt(rule, f"pass:{role_arn}"):
                        raise strict.refuse(
                            rule,
                            "AccessDeniedException",
                            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/humangov-deploy/ci is not authorized "
                            f"to perform: iam:PassRole on resource: {role_arn}",
                        )
                    raise strict.refuse(rule, "ClientException", "Role is not valid")
            made = original(backend, *args, **kwargs)
            strict.born[made.arn] = strict.clock()
            return made

        return register

    # --- DynamoDB, ECR, S3, tagging ----------------------------------------------------------------------

    def _reap_tables(self, backend: Any) -> None:
        now = self.clock()
        for name, gone in list(self.tables_deleting.items()):
            if now >= gone:
                backend.tables.pop(name, None)
                del self.tables_deleting[name]

    def _deleting(self, backend: Any, name: str) -> bool:
        self._reap_tables(backend)
        return self.on("dynamodb-delete-table-async") and name in self.tables_deleting

    def _refuse_deleting(self, name: str) -> ServiceException:
        return self.refuse(
            "dynamodb-delete-table-async",
            "ResourceInUseException",
            f"Attempt to change a resource which is still in use: Table is being deleted: {name}",
        )

    def _create_table(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict, record = self, self._record_birth(original)

        def create(backend: Any, *args: Any, **kwargs: Any) -> Any:
            name = str(_args(original, backend, args, kwargs).get("name"))
            if strict._deleting(backend, name):
                raise strict._refuse_deleting(name)
            return record(backend, *args, **kwargs)

        return create

    def _delete_table(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def delete(backend: Any, name: str) -> Any:
            if strict._deleting(backend, name):
                raise strict._refuse_deleting(name)
            if not strict.on("dynamodb-delete-table-async"):
                return original(backend, name)
            table = backend.get_table(name)
            if table.deletion_protection_enabled:
                return original(backend, name)  # moto refuses it (DeletionProtectedException)
            strict.tables_deleting[table.name] = strict.clock() + strict.span(TABLE_DELETING, table.name)
            table.strict_deleting = True
            return table

        return delete

    def _describe_table(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def describe(backend: Any, name: str) -> Any:
            deleting = strict._deleting(backend, name)
            described = original(backend, name)
            if deleting:
                described["Table"]["TableStatus"] = "DELETING"
            return described

        return describe

    def _update_table(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def update(backend: Any, *args: Any, **kwargs: Any) -> Any:
            name = str(_args(original, backend, args, kwargs).get("name"))
            if strict._deleting(backend, name):
                raise strict._refuse_deleting(name)
            return original(backend, *args, **kwargs)

        return update

    def _list_tables(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def list_tables(backend: Any, *args: Any, **kwargs: Any) -> Any:
            strict._reap_tables(backend)
            return original(backend, *args, **kwargs)

        return list_tables

    def _listener_change(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def change(backend: Any, *args: Any, **kwargs: Any) -> Any:
            listener = original(backend, *args, **kwargs)
            for action in listener.default_actions:
                for arn in backend._get_target_group_arns_from(action_data=action.data):
                    strict.listeners_born[arn] = strict.clock()
            return listener

        return change

    def _update_continuous_backups(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def update(backend: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = _args(original, backend, args, kwargs)
            rule = "dynamodb-pitr-after-create"
            table = str(arguments.get("table_name"))
            if strict.on(rule) and strict.first_attempt(rule, table):
                raise strict.refuse(
                    rule,
                    "ContinuousBackupsUnavailableException",
                    f"Backups are being enabled for the table: {table}. Please retry later",
                )
            return original(backend, *args, **kwargs)

        return update

    def _update_time_to_live(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def update(backend: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = _args(original, backend, args, kwargs)
            rule = "dynamodb-ttl-twice"
            table = str(arguments.get("table_name"))
            spec = arguments.get("ttl_spec") or {}
            ttl = backend.tables[table].ttl if table in backend.tables else {}
            enabled = ttl.get("TimeToLiveStatus") == "ENABLED"
            if strict.on(rule) and spec.get("Enabled") and enabled:
                raise strict.refuse(rule, "ValidationException", "TimeToLive is already enabled")
            return original(backend, *args, **kwargs)

        return update

    def _put_image(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def put(backend: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = _args(original, backend, args, kwargs)
            rule = "ecr-immutable-tag"
            repository = backend.repositories.get(arguments["repository_name"])
            tag = arguments.get("image_tag")
            if strict.on(rule) and repository is not None and tag and repository.is_tag_immutable():
                for image in repository.images:
                    if tag in image.image_tags and image.image_manifest != arguments["image_manifest"]:
                        raise strict.refuse(
                            rule,
                            "ImageTagAlreadyExistsException",
                            f"The image tag '{tag}' already exists in the '{repository.name}' repository "
                            "and cannot be overwritten because the repository is immutable.",
                        )
            return original(backend, *args, **kwargs)

        return put

    def _bucket_setting(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def put(backend: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = _args(original, backend, args, kwargs)
            rule = "s3-bucket-settings-after-create"
            bucket = str(arguments.get("bucket_name"))
            if strict.on(rule) and strict.first_attempt(rule, f"{bucket}:{original.__name__}"):
                from moto.s3.exceptions import MissingBucket

                strict.refusals.append(f"{rule}: NoSuchBucket: {bucket}")
                raise MissingBucket(bucket)
            return original(backend, *args, **kwargs)

        return put

    def _get_resources(self, original: Callable[..., Any]) -> Callable[..., Any]:
        strict = self

        def get(backend: Any, *args: Any, **kwargs: Any) -> Any:
            token, resources = original(backend, *args, **kwargs)
            if not strict.on("resourcegroupstaggingapi-lag"):
                return token, resources
            now = strict.clock()
            shown = []
            for resource in resources:
                arn = resource["ResourceARN"] if isinstance(resource, dict) else resource.arn
                if now >= strict.born.get(arn, now - TAGGING_LAG) + TAGGING_LAG:
                    shown.append(resource)
            return token, shown

        return get


def _account_backend(backends: Any, region: str = REGION) -> Any:
    return backends[ACCOUNT][region]


def _elbv2() -> Any:
    from moto.elbv2.models import elbv2_backends

    return _account_backend(elbv2_backends)


def _ecs() -> Any:
    from moto.ecs.models import ecs_backends

    return _account_backend(ecs_backends)


def _iam() -> Any:
    from moto.iam.models import iam_backends

    return _account_backend(iam_backends, "aws")


def _vcpus(ecs: Any, service: Any) -> float:
    definition = ecs.describe_task_definition(service.task_definition)
    return int(definition.cpu or 0) / 1024


def _service_groups(service: Any) -> list[str]:
    config = getattr(service, "network_configuration", None) or {}
    return list((config.get("awsvpcConfiguration") or {}).get("securityGroups") or [])


@pytest.fixture
def strict_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[StrictAws]:
    """moto with every rule of RULES on, and one FakeClock for the rules and the code's sleeps."""
    # moto's services report running tasks only with this set before CreateService (DESIGN.md).
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    strict = StrictAws()
    with mock_aws():
        strict.install(monkeypatch)
        yield strict
