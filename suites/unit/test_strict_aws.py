"""Each rule of the strict layer bites: the call moto alone accepts is refused as AWS refuses it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from strict_aws import (
    ELB_ENI_LINGER,
    IAM_PROPAGATION,
    LISTENER_PROPAGATION,
    READ_LAG,
    RULES,
    TABLE_DELETING,
    TAGGING_LAG,
    TASK_ENI_LINGER,
    StrictAws,
)

from humangov_deploy.clients import AwsClients

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def code_of(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def vpc_and_subnets(clients: AwsClients) -> tuple[str, list[str]]:
    ec2 = clients.ec2
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return vpc, [s["SubnetId"] for s in subnets[:2]]


def group(strict: StrictAws, name: str) -> str:
    """A group, usable: the strict layer's read-after-create lag has passed on its clock."""
    clients = strict.clients
    vpc, _ = vpc_and_subnets(clients)
    made = str(clients.ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"])
    strict.clock.sleep(READ_LAG)
    return made


def group_ids(clients: AwsClients) -> set[str]:
    return {g["GroupId"] for g in clients.ec2.describe_security_groups()["SecurityGroups"]}


def load_balancer(clients: AwsClients, group_id: str) -> str:
    _, subnets = vpc_and_subnets(clients)
    lb = clients.elbv2.create_load_balancer(Name="strict-lb", Subnets=subnets, SecurityGroups=[group_id])
    return str(lb["LoadBalancers"][0]["LoadBalancerArn"])


def target_group(clients: AwsClients) -> str:
    vpc, _ = vpc_and_subnets(clients)
    tg = clients.elbv2.create_target_group(
        Name="strict-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )
    return str(tg["TargetGroups"][0]["TargetGroupArn"])


def task_definition(clients: AwsClients, role_arn: str | None = None) -> str:
    extra = {"taskRoleArn": role_arn} if role_arn else {}
    td = clients.ecs.register_task_definition(
        family="strict",
        containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512}],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        **extra,
    )
    return str(td["taskDefinition"]["taskDefinitionArn"])


def cluster(clients: AwsClients, strict: StrictAws, name: str = "strict") -> None:
    clients.iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    clients.ecs.create_cluster(clusterName=name)


def test_every_rule_cites_an_aws_documentation_page() -> None:
    assert len(RULES) >= 12
    for name, rule in RULES.items():
        assert rule.doc.startswith("https://docs.aws.amazon.com/"), name
        assert rule.summary, name


def test_a_group_named_by_another_groups_rule_cannot_be_deleted(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    lb_sg, task_sg = group(strict_aws, "a"), group(strict_aws, "b")
    clients.ec2.authorize_security_group_ingress(
        GroupId=task_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": lb_sg}]}
        ],
    )
    for _ in range(3):  # for good: waiting never clears it
        assert code_of(lambda: clients.ec2.delete_security_group(GroupId=lb_sg)) == "DependencyViolation"
        strict_aws.clock.sleep(600)
    strict_aws.off("ec2-group-referenced")
    clients.ec2.delete_security_group(GroupId=lb_sg)  # what moto alone accepts


def test_a_load_balancers_group_stays_in_use_for_a_while_after_it_is_deleted(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    sg = group(strict_aws, "lb")
    lb = load_balancer(clients, sg)
    assert code_of(lambda: clients.ec2.delete_security_group(GroupId=sg)) == "DependencyViolation"
    clients.elbv2.delete_load_balancer(LoadBalancerArn=lb)
    assert code_of(lambda: clients.ec2.delete_security_group(GroupId=sg)) == "DependencyViolation"
    strict_aws.clock.sleep(ELB_ENI_LINGER)
    clients.ec2.delete_security_group(GroupId=sg)


def test_a_load_balancers_group_is_accepted_by_moto_alone(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    sg = group(strict_aws, "lb")
    load_balancer(clients, sg)
    strict_aws.off("ec2-group-of-load-balancer")
    clients.ec2.delete_security_group(GroupId=sg)
    assert sg not in group_ids(clients)


def service_with_group(strict_aws: StrictAws, sg: str, tg: str | None = None) -> None:
    clients = strict_aws.clients
    cluster(clients, strict_aws)
    _, subnets = vpc_and_subnets(clients)
    extra: dict[str, Any] = {}
    if tg:
        extra["loadBalancers"] = [{"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}]
    clients.ecs.create_service(
        cluster="strict",
        serviceName="svc",
        taskDefinition=task_definition(clients),
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
        **extra,
    )


def test_a_services_group_stays_in_use_until_its_tasks_are_gone(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    sg = group(strict_aws, "tasks")
    service_with_group(strict_aws, sg)
    assert code_of(lambda: clients.ec2.delete_security_group(GroupId=sg)) == "DependencyViolation"
    clients.ecs.delete_service(cluster="strict", service="svc", force=True)
    assert code_of(lambda: clients.ec2.delete_security_group(GroupId=sg)) == "DependencyViolation"
    strict_aws.clock.sleep(TASK_ENI_LINGER)
    clients.ec2.delete_security_group(GroupId=sg)


def test_a_services_group_is_accepted_by_moto_alone(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    sg = group(strict_aws, "tasks")
    service_with_group(strict_aws, sg)
    strict_aws.off("ec2-group-of-service")
    clients.ec2.delete_security_group(GroupId=sg)
    assert sg not in group_ids(clients)


def test_a_deleted_service_drains_before_it_is_inactive(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    service_with_group(strict_aws, group(strict_aws, "tasks"))
    clients.ecs.delete_service(cluster="strict", service="svc", force=True)

    def status() -> str:
        return str(clients.ecs.describe_services(cluster="strict", services=["svc"])["services"][0]["status"])

    assert status() == "DRAINING"
    strict_aws.clock.sleep(TASK_ENI_LINGER)
    assert status() == "INACTIVE"
    strict_aws.off("ecs-deleted-service-drains")
    service_with_group_again = clients.ecs.describe_services(cluster="strict", services=["svc"])
    assert service_with_group_again["services"][0]["status"] == "INACTIVE"


def test_a_service_needs_a_target_group_that_a_listener_uses(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    tg = target_group(clients)
    with pytest.raises(ClientError) as caught:
        service_with_group(strict_aws, group(strict_aws, "tasks"), tg)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "does not have an associated load balancer" in caught.value.response["Error"]["Message"]
    strict_aws.off("ecs-target-group-needs-listener")
    clients.ecs.create_service(
        cluster="strict",
        serviceName="svc",
        taskDefinition=task_definition(clients),
        desiredCount=1,
        loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}],
    )


def test_a_service_right_after_its_listener_is_refused_for_a_few_seconds(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    tg = target_group(clients)
    lb = load_balancer(clients, group(strict_aws, "lb"))
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    clients.elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward)
    with pytest.raises(ClientError) as caught:
        service_with_group(strict_aws, group(strict_aws, "tasks"), tg)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "does not have an associated load balancer" in caught.value.response["Error"]["Message"]
    assert strict_aws.refusals[-1].startswith("ecs-listener-propagation")
    strict_aws.clock.sleep(LISTENER_PROPAGATION)
    clients.ecs.create_service(
        cluster="strict",
        serviceName="svc",
        taskDefinition=task_definition(clients),
        desiredCount=1,
        loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}],
    )


def test_a_service_right_after_its_listener_is_accepted_by_moto_alone(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    tg = target_group(clients)
    lb = load_balancer(clients, group(strict_aws, "lb"))
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    clients.elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward)
    strict_aws.off("ecs-listener-propagation")
    service_with_group(strict_aws, group(strict_aws, "tasks"), tg)
    (service,) = clients.ecs.describe_services(cluster="strict", services=["svc"])["services"]
    assert service["loadBalancers"][0]["targetGroupArn"] == tg
    assert not [r for r in strict_aws.refusals if r.startswith("ecs-listener-propagation")]


def test_the_first_cluster_of_an_account_fails_once_for_the_service_linked_role(
    strict_aws: StrictAws,
) -> None:
    ecs = strict_aws.clients.ecs
    assert code_of(lambda: ecs.create_cluster(clusterName="first")) == "InvalidParameterException"
    assert ecs.create_cluster(clusterName="first")["cluster"]["status"] == "ACTIVE"  # ECS made the role
    roles = strict_aws.clients.iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert [r["RoleName"].lower() for r in roles] == ["awsserviceroleforecs"]


def test_the_first_cluster_is_accepted_by_moto_alone(strict_aws: StrictAws) -> None:
    strict_aws.off("ecs-first-cluster-service-linked-role")
    assert strict_aws.clients.ecs.create_cluster(clusterName="first")["cluster"]["status"] == "ACTIVE"


def test_a_new_role_is_not_valid_for_ecs_for_some_seconds(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    role = clients.iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    errors = []
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            task_definition(clients, role)
        errors.append(caught.value.response["Error"])
    # What AWS answers for a role made a moment ago: PassRole not yet allowed, then "Role is not valid".
    assert errors[0]["Code"] == "AccessDeniedException" and "iam:PassRole" in errors[0]["Message"]
    assert (errors[1]["Code"], errors[1]["Message"]) == ("ClientException", "Role is not valid")
    strict_aws.clock.sleep(IAM_PROPAGATION)
    assert task_definition(clients, role).endswith(":1")


def test_a_new_role_is_accepted_by_moto_alone(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    role = clients.iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    strict_aws.off("ecs-new-role-propagation")
    assert task_definition(clients, role).endswith(":1")


def test_an_inactive_cluster_is_visible_and_refuses_services(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    cluster(clients, strict_aws, "gone")
    clients.ecs.delete_cluster(cluster="gone")
    assert clients.ecs.describe_clusters(clusters=["gone"])["clusters"][0]["status"] == "INACTIVE"
    create = lambda: clients.ecs.create_service(  # noqa: E731
        cluster="gone", serviceName="svc", taskDefinition=task_definition(clients), desiredCount=1
    )
    assert code_of(create) == "ClusterNotFoundException"
    strict_aws.off("ecs-inactive-cluster")
    create()


def test_a_cluster_with_an_active_service_cannot_be_deleted(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    service_with_group(strict_aws, group(strict_aws, "tasks"))
    assert code_of(lambda: clients.ecs.delete_cluster(cluster="strict")) == "ClusterContainsServicesException"
    strict_aws.off("ecs-cluster-with-services")
    clients.ecs.delete_cluster(cluster="strict")


def test_point_in_time_recovery_is_unavailable_right_after_create(strict_aws: StrictAws) -> None:
    ddb = strict_aws.clients.dynamodb
    for name in ("t1", "t2"):
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    spec = {"PointInTimeRecoveryEnabled": True}
    enable = lambda: ddb.update_continuous_backups(TableName="t1", PointInTimeRecoverySpecification=spec)  # noqa: E731
    assert code_of(enable) == "ContinuousBackupsUnavailableException"
    enable()  # a retry succeeds
    strict_aws.off("dynamodb-pitr-after-create")
    ddb.update_continuous_backups(TableName="t2", PointInTimeRecoverySpecification=spec)


def test_ttl_cannot_be_enabled_twice(strict_aws: StrictAws) -> None:
    ddb = strict_aws.clients.dynamodb
    ddb.create_table(
        TableName="t1",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    spec = {"Enabled": True, "AttributeName": "expires_at"}
    ddb.update_time_to_live(TableName="t1", TimeToLiveSpecification=spec)
    enable = lambda: ddb.update_time_to_live(TableName="t1", TimeToLiveSpecification=spec)  # noqa: E731
    assert code_of(enable) == "ValidationException"
    strict_aws.off("dynamodb-ttl-twice")
    enable()  # moto alone accepts it


def manifest(layer: str) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": layer,
                "size": 1,
            },
            "layers": [],
        }
    )


def test_an_immutable_tag_cannot_be_pushed_twice(strict_aws: StrictAws) -> None:
    ecr = strict_aws.clients.ecr
    ecr.create_repository(repositoryName="humangov-app", imageTagMutability="IMMUTABLE")
    ecr.put_image(repositoryName="humangov-app", imageManifest=manifest("sha256:" + "1" * 64), imageTag="v1")
    second = lambda: ecr.put_image(  # noqa: E731
        repositoryName="humangov-app", imageManifest=manifest("sha256:" + "2" * 64), imageTag="v1"
    )
    assert code_of(second) == "ImageTagAlreadyExistsException"
    strict_aws.off("ecr-immutable-tag")
    assert code_of(second) != "ImageTagAlreadyExistsException"  # moto answers with another code


def test_the_tagging_api_shows_new_resources_late(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    clients.dynamodb.create_table(
        TableName="tagged",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "humangov:managed-by", "Value": "humangov"}],
    )

    def found() -> int:
        filters = [{"Key": "humangov:managed-by", "Values": ["humangov"]}]
        return len(
            clients.resourcegroupstaggingapi.get_resources(TagFilters=filters)["ResourceTagMappingList"]
        )

    assert found() == 0
    strict_aws.clock.sleep(TAGGING_LAG)
    assert found() == 1
    strict_aws.clock.now -= TAGGING_LAG
    strict_aws.off("resourcegroupstaggingapi-lag")
    assert found() == 1


def test_bucket_settings_right_after_create_can_miss_the_bucket(strict_aws: StrictAws) -> None:
    s3 = strict_aws.clients.s3
    s3.create_bucket(Bucket="strict-bucket")
    version = lambda: s3.put_bucket_versioning(  # noqa: E731
        Bucket="strict-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    assert code_of(version) == "NoSuchBucket"
    version()
    strict_aws.off("s3-bucket-settings-after-create")
    s3.create_bucket(Bucket="strict-bucket-2")
    s3.put_bucket_versioning(Bucket="strict-bucket-2", VersioningConfiguration={"Status": "Enabled"})


def test_a_role_cannot_name_a_boundary_that_does_not_exist(strict_aws: StrictAws) -> None:
    iam = strict_aws.clients.iam
    boundary = "arn:aws:iam::123456789012:policy/humangov-permissions-boundary"
    create = lambda name: iam.create_role(  # noqa: E731
        RoleName=name, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary
    )
    assert code_of(lambda: create("r1")) == "NoSuchEntity"
    assert strict_aws.apply_bootstrap_boundary() == boundary
    create("r1")
    strict_aws.clients.iam.delete_policy(PolicyArn=boundary)
    strict_aws.off("iam-boundary-must-exist")
    create("r2")


def plain_table(strict_aws: StrictAws, name: str) -> None:
    strict_aws.clients.dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_a_deleted_table_is_deleting_for_a_while_and_refuses_a_second_delete(strict_aws: StrictAws) -> None:
    ddb = strict_aws.clients.dynamodb
    plain_table(strict_aws, "t1")
    assert ddb.delete_table(TableName="t1")["TableDescription"]["TableName"] == "t1"
    assert ddb.describe_table(TableName="t1")["Table"]["TableStatus"] == "DELETING"
    assert "t1" in ddb.list_tables()["TableNames"]
    assert code_of(lambda: ddb.delete_table(TableName="t1")) == "ResourceInUseException"
    spec = {"DeletionProtectionEnabled": True}
    assert code_of(lambda: ddb.update_table(TableName="t1", **spec)) == "ResourceInUseException"
    strict_aws.clock.sleep(TABLE_DELETING)
    assert code_of(lambda: ddb.describe_table(TableName="t1")) == "ResourceNotFoundException"
    assert "t1" not in ddb.list_tables()["TableNames"]


def test_a_deleted_table_is_gone_at_once_on_moto_alone(strict_aws: StrictAws) -> None:
    ddb = strict_aws.clients.dynamodb
    strict_aws.off("dynamodb-delete-table-async")
    plain_table(strict_aws, "t1")
    ddb.delete_table(TableName="t1")
    assert code_of(lambda: ddb.describe_table(TableName="t1")) == "ResourceNotFoundException"


def test_closing_a_port_a_listener_still_redirects_to_is_recorded_as_a_hazard(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    sg = group(strict_aws, "lb")
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    clients.ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[https])
    lb = load_balancer(clients, sg)
    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    clients.elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": redirect}],
    )
    clients.ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[https])  # AWS accepts it
    assert len(strict_aws.hazards) == 1 and strict_aws.hazards[0].startswith("elb-redirect-to-closed-port")


def test_reads_right_after_a_create_miss_the_new_resource_for_a_moment(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    vpc, subnets = vpc_and_subnets(clients)
    sg = clients.ec2.create_security_group(GroupName="fresh", Description="d", VpcId=vpc)["GroupId"]
    by_name = [{"Name": "group-name", "Values": ["fresh"]}]
    assert clients.ec2.describe_security_groups(Filters=by_name)["SecurityGroups"] == []
    assert code_of(lambda: clients.ec2.describe_security_groups(GroupIds=[sg])) == "InvalidGroup.NotFound"
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ingress = lambda: clients.ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[https])  # noqa: E731
    assert code_of(ingress) == "InvalidGroup.NotFound"
    clients.iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=TRUST)
    assert code_of(lambda: clients.iam.get_role(RoleName="fresh")) == "NoSuchEntity"
    clients.logs.create_log_group(logGroupName="/fresh")
    assert clients.logs.describe_log_groups(logGroupNamePrefix="/fresh")["logGroups"] == []
    clients.ssm.put_parameter(Name="/fresh/p", Value="v", Type="SecureString")
    assert code_of(lambda: clients.ssm.get_parameter(Name="/fresh/p")) == "ParameterNotFound"
    clients.elbv2.create_load_balancer(Name="fresh-lb", Subnets=subnets)
    assert (
        code_of(lambda: clients.elbv2.describe_load_balancers(Names=["fresh-lb"])) == "LoadBalancerNotFound"
    )
    clients.elbv2.create_target_group(Name="fresh-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    assert code_of(lambda: clients.elbv2.describe_target_groups(Names=["fresh-tg"])) == "TargetGroupNotFound"

    strict_aws.clock.sleep(READ_LAG)  # consistent again
    assert [
        g["GroupId"] for g in clients.ec2.describe_security_groups(Filters=by_name)["SecurityGroups"]
    ] == [sg]
    ingress()
    assert clients.iam.get_role(RoleName="fresh")["Role"]["RoleName"] == "fresh"
    assert len(clients.logs.describe_log_groups(logGroupNamePrefix="/fresh")["logGroups"]) == 1
    assert clients.ssm.get_parameter(Name="/fresh/p")["Parameter"]["Name"] == "/fresh/p"
    assert clients.elbv2.describe_load_balancers(Names=["fresh-lb"])["LoadBalancers"]
    assert clients.elbv2.describe_target_groups(Names=["fresh-tg"])["TargetGroups"]


def test_reads_right_after_a_create_are_consistent_on_moto_alone(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    strict_aws.off(*(rule for rule in RULES if rule.endswith("-read-after-create")))
    clients.iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=TRUST)
    assert clients.iam.get_role(RoleName="fresh")["Role"]["RoleName"] == "fresh"
    assert group(strict_aws, "fresh") in group_ids(clients)


def stopped_tasks(clients: AwsClients) -> list[dict[str, Any]]:
    arns = clients.ecs.list_tasks(cluster="strict", desiredStatus="STOPPED")["taskArns"]
    return clients.ecs.describe_tasks(cluster="strict", tasks=arns)["tasks"] if arns else []


def test_a_new_deployments_first_task_fails_to_start(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    service_with_group(strict_aws, group(strict_aws, "tasks"))
    (task,) = stopped_tasks(clients)
    deployment = clients.ecs.describe_services(cluster="strict", services=["svc"])["services"][0][
        "deployments"
    ][0]
    assert task["stopCode"] == "TaskFailedToStart" and "ResourceInitializationError" in task["stoppedReason"]
    assert task["startedBy"] == deployment["id"]


def test_a_new_deployment_starts_cleanly_on_moto_alone(strict_aws: StrictAws) -> None:
    strict_aws.off("ecs-task-start-retried")
    service_with_group(strict_aws, group(strict_aws, "tasks"))
    assert stopped_tasks(strict_aws.clients) == []


def test_past_the_vcpu_quota_a_deployment_places_no_task_and_says_why(strict_aws: StrictAws) -> None:
    strict_aws.vcpu_quota = 0.1
    clients = strict_aws.clients
    service_with_group(strict_aws, group(strict_aws, "tasks"))
    service = clients.ecs.describe_services(cluster="strict", services=["svc"])["services"][0]
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS" and service["runningCount"] == 0
    assert "reached the limit on the number of vCPUs" in service["events"][0]["message"]


def test_past_the_vcpu_quota_moto_alone_completes_the_deployment(strict_aws: StrictAws) -> None:
    strict_aws.vcpu_quota = 0.1
    strict_aws.off("ecs-fargate-vcpu-quota")
    clients = strict_aws.clients
    service_with_group(strict_aws, group(strict_aws, "tasks"))
    service = clients.ecs.describe_services(cluster="strict", services=["svc"])["services"][0]
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
