"""What the account has in use in the region, against the quotas `preflight` reads: ALBs, target groups,
security groups, and the vCPUs of running Fargate tasks (ECS's; EKS pods on Fargate count towards the same
quota and are not seen here)."""

from __future__ import annotations

from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients

DESCRIBE_TASKS_BATCH = 100  # DescribeTasks takes at most 100 tasks


def application_load_balancers(clients: AwsClients) -> int:
    elbv2 = clients.elbv2
    count = 0
    with aws_call("elbv2", "DescribeLoadBalancers"):
        for page in elbv2.get_paginator("describe_load_balancers").paginate():
            count += sum(
                1 for lb in page.get("LoadBalancers", []) if lb.get("Type", "application") == "application"
            )
    return count


def target_groups(clients: AwsClients) -> int:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "DescribeTargetGroups"):
        pages = elbv2.get_paginator("describe_target_groups").paginate()
        return sum(len(page.get("TargetGroups", [])) for page in pages)


def security_groups(clients: AwsClients) -> int:
    ec2 = clients.ec2
    with aws_call("ec2", "DescribeSecurityGroups"):
        pages = ec2.get_paginator("describe_security_groups").paginate()
        return sum(len(page.get("SecurityGroups", [])) for page in pages)


def fargate_vcpus(clients: AwsClients) -> float:
    """vCPUs of the RUNNING and PENDING Fargate tasks of every cluster (a task's cpu: 1/1024 vCPU units)."""
    ecs = clients.ecs
    units = 0
    with aws_call("ecs", "ListClusters"):
        clusters = [
            arn for page in ecs.get_paginator("list_clusters").paginate() for arn in page["clusterArns"]
        ]
    for cluster in clusters:
        with aws_call("ecs", "ListTasks"):
            pages = ecs.get_paginator("list_tasks").paginate(cluster=cluster, launchType="FARGATE")
            arns = [arn for page in pages for arn in page.get("taskArns", [])]
        for start in range(0, len(arns), DESCRIBE_TASKS_BATCH):
            with aws_call("ecs", "DescribeTasks"):
                tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + DESCRIBE_TASKS_BATCH])
            units += sum(int(task.get("cpu") or 0) for task in tasks.get("tasks", []))
    return units / 1024
