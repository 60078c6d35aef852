"""The configuration of every resource one aws deploy creates, read back from moto.

One deploy of texas (module-scoped: a fresh moto loads its EC2 catalogue, seconds each) shared by tests
that only read. Kept apart from test_aws.py on purpose: a function-scoped mock_aws resets every
backend when it starts, which would wipe this module's stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_testkit import APP_IMAGE, NGINX_IMAGE, REGION, moto_platform, record_calls
from moto import mock_aws

from humangov_deploy import appsrc
from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.build import images
from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import CLUSTER, TAG_CREATED_AT, TAG_MANAGED_BY, TAG_RUN_ID, TAG_STATE, names_for


@pytest.fixture(scope="module")
def texas() -> Iterator[tuple[AwsClients, list[tuple[str, str, dict[str, Any]]]]]:
    """One deploy of texas on moto, shared by the tests that only read its configuration (moto is slow
    to start: each fresh mock loads its EC2 catalogue). Yields the clients and the calls the deploy made."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", REGION),
            ("MOTO_ECS_SERVICE_RUNNING", "2"),
        ):
            patch.setenv(name, value)
        with mock_aws():
            clients = AwsClients(region=REGION)
            clients.ecs  # noqa: B018 - create the client so the recorder can hook it
            calls = record_calls(clients, ("ecs",))
            moto_platform(clients, log_retention_days=7).deploy(
                "texas", timeout=300, progress=lambda _m: None
            )
            yield clients, calls


def task_definition(clients: AwsClients, state: str) -> dict[str, Any]:
    return clients.ecs.describe_task_definition(taskDefinition=names_for(state).family)["taskDefinition"]


def test_task_definition_is_the_seeds_fullstack_per_state(texas: tuple[AwsClients, Any]) -> None:
    moto_clients = texas[0]
    td = task_definition(moto_clients, "texas")
    names = names_for("texas")
    assert td["family"] == "humangov-texas-fullstack"
    assert (td["cpu"], td["memory"]) == ("1024", "3072")
    assert td["networkMode"] == "awsvpc"
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert td["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    assert td["taskRoleArn"].endswith(f"role/humangov/{names.task_role}")
    assert td["executionRoleArn"].endswith(f"role/humangov/{names.execution_role}")
    app, nginx = td["containerDefinitions"]
    assert (app["name"], app["image"], app["portMappings"][0]["containerPort"]) == ("app", APP_IMAGE, 8000)
    assert (nginx["name"], nginx["image"], nginx["portMappings"][0]["containerPort"]) == (
        "nginx",
        NGINX_IMAGE,
        images.NGINX_PORT,
    )
    env = {e["name"]: e["value"] for e in app["environment"]}
    bucket = moto_clients.s3.list_buckets()["Buckets"][0]["Name"]
    assert env == {
        "AWS_BUCKET": bucket,
        "AWS_DYNAMODB_TABLE": appsrc.schema().table_name("texas"),
        "AWS_REGION": "us-east-1",
        "US_STATE": "texas",
        "MAX_UPLOAD_MB": "10",
    }
    # nginx derives its body limit from the same MAX_UPLOAD_MB as the app.
    assert {e["name"]: e["value"] for e in nginx["environment"]} == {"MAX_UPLOAD_MB": env["MAX_UPLOAD_MB"]}
    for container in (app, nginx):
        assert container["healthCheck"]["command"] == ["CMD", *images.HEALTHCHECK_COMMAND]
        assert container["stopTimeout"] == images.STOP_TIMEOUT_SECONDS
    # SECRET_KEY never appears in plain text: a reference to the state's SecureString.
    parameter = moto_clients.ssm.get_parameter(Name=names.secret_parameter)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert app["secrets"] == [{"name": "SECRET_KEY", "valueFrom": parameter["ARN"]}]
    assert "SECRET_KEY" not in env
    for container in (app, nginx):
        options = container["logConfiguration"]["options"]
        assert container["logConfiguration"]["logDriver"] == "awslogs"
        assert options["awslogs-group"] == "/ecs/humangov-texas"


def test_service_runs_two_fargate_tasks_in_two_azs_behind_the_target_group(
    texas: tuple[AwsClients, Any],
) -> None:
    moto_clients, calls = texas
    svc = moto_clients.ecs.describe_services(cluster=CLUSTER, services=["humangov-texas-service"])[
        "services"
    ][0]
    assert svc["desiredCount"] == 2
    assert svc["launchType"] == "FARGATE"
    tg_arn = moto_clients.elbv2.describe_target_groups(Names=["humangov-texas-tg"])["TargetGroups"][0]
    assert svc["loadBalancers"] == [
        {
            "targetGroupArn": tg_arn["TargetGroupArn"],
            "containerName": "nginx",
            "containerPort": images.NGINX_PORT,
        }
    ]
    network = svc["networkConfiguration"]["awsvpcConfiguration"]
    assert network["assignPublicIp"] == "ENABLED"
    subnets = moto_clients.ec2.describe_subnets(SubnetIds=network["subnets"])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) >= 2
    task_sg = ec2_api.find_security_group(moto_clients, "humangov-texas-tasks-sg")
    assert task_sg is not None and network["securityGroups"] == [task_sg.id]
    # moto drops the deployment configuration: read it from the request itself.
    (create,) = [params for _s, op, params in calls if op == "CreateService"]
    assert create["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert create["healthCheckGracePeriodSeconds"] > 0
    assert create["propagateTags"] == "SERVICE"
    cluster = moto_clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]
    assert cluster["capacityProviders"] == ["FARGATE"]


def test_load_balancer_target_group_and_listener(texas: tuple[AwsClients, Any]) -> None:
    moto_clients = texas[0]
    elbv2 = moto_clients.elbv2
    lb = elbv2.describe_load_balancers(Names=["humangov-texas-lb"])["LoadBalancers"][0]
    assert (lb["Type"], lb["Scheme"]) == ("application", "internet-facing")
    assert len(lb["AvailabilityZones"]) >= 2
    lb_sg = ec2_api.find_security_group(moto_clients, "humangov-texas-lb-sg")
    assert lb_sg is not None and lb["SecurityGroups"] == [lb_sg.id]
    tg = elbv2.describe_target_groups(Names=["humangov-texas-tg"])["TargetGroups"][0]
    assert (tg["TargetType"], tg["Protocol"], tg["Port"]) == ("ip", "HTTP", images.NGINX_PORT)
    assert tg["HealthCheckPath"] == "/healthz"
    assert tg["HealthCheckIntervalSeconds"] == 5
    assert tg["HealthCheckTimeoutSeconds"] < tg["HealthCheckIntervalSeconds"]
    assert (tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"]) == (2, 2)
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]
    }
    assert attributes["deregistration_delay.timeout_seconds"] == "5"
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)
    assert listener["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]


def test_security_groups_open_80_to_the_world_only_on_the_load_balancer(
    texas: tuple[AwsClients, Any],
) -> None:
    moto_clients = texas[0]
    lb_sg = ec2_api.find_security_group(moto_clients, "humangov-texas-lb-sg")
    task_sg = ec2_api.find_security_group(moto_clients, "humangov-texas-tasks-sg")
    assert lb_sg is not None and task_sg is not None
    (lb_in,) = lb_sg.ingress
    assert (lb_in["FromPort"], lb_in["ToPort"]) == (80, 80)
    assert [r["CidrIp"] for r in lb_in["IpRanges"]] == ["0.0.0.0/0"]
    (task_in,) = task_sg.ingress
    assert (task_in["FromPort"], task_in["ToPort"]) == (images.NGINX_PORT, images.NGINX_PORT)
    assert task_in.get("IpRanges", []) == []
    assert [p["GroupId"] for p in task_in["UserIdGroupPairs"]] == [lb_sg.id]
    # The load balancer may only talk to the tasks.
    (lb_out,) = lb_sg.egress
    assert [p["GroupId"] for p in lb_out["UserIdGroupPairs"]] == [task_sg.id]
    assert (lb_out["FromPort"], lb_out["ToPort"]) == (images.NGINX_PORT, images.NGINX_PORT)
    assert lb_out.get("IpRanges", []) == []


def test_roles_have_least_privilege_inline_policies(texas: tuple[AwsClients, Any]) -> None:
    moto_clients = texas[0]
    iam = moto_clients.iam
    names = names_for("texas")
    for role_name in (names.task_role, names.execution_role):
        role = iam.get_role(RoleName=role_name)["Role"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    task_policy = iam.get_role_policy(RoleName=names.task_role, PolicyName=names.task_policy)[
        "PolicyDocument"
    ]
    resources = {r for s in task_policy["Statement"] for r in s["Resource"]}
    table_arn = moto_clients.dynamodb.describe_table(TableName="humangov-texas-dynamodb")["Table"]["TableArn"]
    bucket = moto_clients.s3.list_buckets()["Buckets"][0]["Name"]
    audit_arn = table_arn.replace("humangov-texas-dynamodb", "humangov-texas-audit")
    assert resources == {
        table_arn,
        f"{table_arn}/index/*",
        audit_arn,  # append-only: suites/unit/platforms/aws/test_task_role_audit.py checks its actions
        f"{audit_arn}/index/*",
        f"arn:aws:s3:::{bucket}",
        f"arn:aws:s3:::{bucket}/*",
    }
    actions = {a for s in task_policy["Statement"] for a in s["Action"]}
    assert not any(a.endswith("*") for a in actions)
    execution = iam.get_role_policy(RoleName=names.execution_role, PolicyName=names.execution_policy)
    by_sid = {s["Sid"]: s for s in execution["PolicyDocument"]["Statement"]}
    secret_arn = moto_clients.ssm.get_parameter(Name=names.secret_parameter)["Parameter"]["ARN"]
    assert by_sid["SecretKey"]["Resource"] == [secret_arn]
    assert by_sid["Logs"]["Resource"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/humangov-texas:*"
    ]
    assert sorted(by_sid["EcrPull"]["Resource"]) == [
        "arn:aws:ecr:us-east-1:123456789012:repository/humangov-app",
        "arn:aws:ecr:us-east-1:123456789012:repository/humangov-nginx",
    ]


def test_log_group_has_a_retention(texas: tuple[AwsClients, Any]) -> None:
    moto_clients = texas[0]
    (group,) = moto_clients.logs.describe_log_groups(logGroupNamePrefix="/ecs/humangov-texas")["logGroups"]
    assert group["retentionInDays"] == 7


def test_every_resource_carries_the_three_tags(texas: tuple[AwsClients, Any]) -> None:
    moto_clients = texas[0]
    tagging = moto_clients.resourcegroupstaggingapi
    tagged = tagging.get_resources(TagFilters=[{"Key": TAG_STATE, "Values": ["texas"]}])[
        "ResourceTagMappingList"
    ]
    kinds = {
        item["ResourceARN"].split(":")[2] + ":" + item["ResourceARN"].split(":")[5].split("/")[0]
        for item in tagged
    }
    expected = {
        "ecs:service",
        "ecs:task-definition",
        "elasticloadbalancing:loadbalancer",
        "elasticloadbalancing:targetgroup",
        "ec2:security-group",
        "logs:log-group",
        "ssm:parameter",
        "dynamodb:table",
    }
    assert expected <= kinds
    # The table and bucket are tagged by humangov_deploy.data (state, managed-by, run id; not created-at).
    ours = [i for i in tagged if not i["ResourceARN"].startswith(("arn:aws:dynamodb", "arn:aws:s3"))]
    for item in ours:
        tags = {t["Key"]: t["Value"] for t in item["Tags"]}
        assert tags[TAG_MANAGED_BY] == "humangov", item["ResourceARN"]
        assert tags[TAG_RUN_ID] == "20261126T120000Z-abcdef", item["ResourceARN"]
        assert tags[TAG_CREATED_AT] == "2026-11-26T12:00:00Z", item["ResourceARN"]
    for role in ("humangov-texas-task-role", "humangov-texas-execution-role"):
        tags = {t["Key"]: t["Value"] for t in moto_clients.iam.list_role_tags(RoleName=role)["Tags"]}
        assert tags[TAG_STATE] == "texas" and tags[TAG_MANAGED_BY] == "humangov"
    listener_arn = moto_clients.elbv2.describe_listeners(
        LoadBalancerArn=moto_clients.elbv2.describe_load_balancers(Names=["humangov-texas-lb"])[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
    )["Listeners"][0]["ListenerArn"]
    listener_tags = moto_clients.elbv2.describe_tags(ResourceArns=[listener_arn])["TagDescriptions"][0][
        "Tags"
    ]
    assert {t["Key"] for t in listener_tags} >= {TAG_STATE, TAG_RUN_ID, TAG_MANAGED_BY}
    cluster = moto_clients.ecs.describe_clusters(clusters=[CLUSTER], include=["TAGS"])["clusters"][0]
    cluster_tags = {t["key"]: t["value"] for t in cluster["tags"]}
    assert cluster_tags[TAG_STATE] == "shared" and cluster_tags[TAG_MANAGED_BY] == "humangov"
