"""Network and load balancing of one state: security groups, ALB, target group, listener.

Split from platform.py to keep each module readable in one sitting; the settings come from spec.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws.call import retry_not_yet_visible
from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import StackNames
from humangov_deploy.platforms.aws import spec
from humangov_deploy.platforms.aws.https import ensure_https_ingress, ensure_listeners
from humangov_deploy.platforms.base import Progress
from humangov_deploy.waits import Sleep


def ensure_security_groups(
    clients: AwsClients,
    names: StackNames,
    vpc_id: str,
    tags: dict[str, str],
    *,
    https: bool = False,
    sleep: Sleep = time.sleep,
) -> tuple[ec2_api.SecurityGroup, ec2_api.SecurityGroup]:
    """The load balancer's group (80 from anywhere, and 443 when it serves HTTPS; out only to the tasks)
    and the tasks' (nginx's port, from the load balancer's group only).

    A group just made can refuse rule changes with InvalidGroup.NotFound for a few seconds (EC2's eventual
    consistency): each rule write is tried again, bounded (`retry_not_yet_visible`)."""
    # Both looked up in one call; only a missing one goes through ensure (find, then create).
    found = ec2_api.find_security_groups(
        clients, [names.lb_security_group, names.task_security_group], vpc_id
    )
    lb_sg = found.get(names.lb_security_group) or ec2_api.ensure_security_group(
        clients,
        names.lb_security_group,
        vpc_id=vpc_id,
        description="HumanGov load balancer: HTTP from anywhere",
        tags=tags,
    )
    task_sg = found.get(names.task_security_group) or ec2_api.ensure_security_group(
        clients,
        names.task_security_group,
        vpc_id=vpc_id,
        description="HumanGov tasks: HTTP from the load balancer only",
        tags=tags,
    )

    def write(call: Callable[[], object]) -> None:
        retry_not_yet_visible(call, sleep=sleep)

    write(
        lambda: ec2_api.allow_ingress(
            clients, lb_sg, ec2_api.tcp_from_cidr(spec.LISTENER_PORT, "0.0.0.0/0", "HTTP")
        )
    )
    if https:
        # Opened before the HTTPS listener exists; closed only after the listeners (`close_https_ingress`).
        write(lambda: ensure_https_ingress(clients, lb_sg, True))
    write(
        lambda: ec2_api.allow_ingress(
            clients, task_sg, ec2_api.tcp_from_group(spec.NGINX_PORT, lb_sg.id, "from the load balancer")
        )
    )
    # The load balancer only ever talks to the tasks (traffic and health checks).
    write(lambda: ec2_api.revoke_open_egress(clients, lb_sg))
    write(
        lambda: ec2_api.allow_egress(
            clients, lb_sg, ec2_api.tcp_from_group(spec.NGINX_PORT, task_sg.id, "to the tasks")
        )
    )
    return lb_sg, task_sg


def close_https_ingress(clients: AwsClients, lb_sg: ec2_api.SecurityGroup) -> None:
    """443 closed once no listener redirects there any more: closed first, every client that HTTP:80
    still redirects would time out on 443 until the listener changed (the load balancer's group must allow
    its listeners' ports: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html)."""
    ensure_https_ingress(clients, lb_sg, False)


def ensure_load_balancer(
    clients: AwsClients,
    names: StackNames,
    vpc_id: str,
    subnets: list[str],
    lb_sg: str,
    tags: dict[str, str],
    progress: Progress,
    certificate_arn: str | None = None,
    domain: tuple[str | None, str | None] = (None, None),
) -> tuple[elbv2_api.LoadBalancer, elbv2_api.TargetGroup]:
    """The ALB, its target group (fast health checks, short drain) and its listeners, converged: HTTP:80
    forwarding, or with a certificate HTTPS:443 forwarding and HTTP:80 redirecting (https.py)."""
    lb = elbv2_api.find_load_balancer(clients, names.load_balancer)
    if lb is None:
        progress(f"creating load balancer {names.load_balancer}")
        lb = elbv2_api.create_load_balancer(
            clients, names.load_balancer, subnets=subnets, security_groups=[lb_sg], tags=tags
        )
        elbv2_api.set_load_balancer_attributes(clients, lb.arn, spec.LOAD_BALANCER_ATTRIBUTES)
    elif lb.security_groups != (lb_sg,):
        elbv2_api.set_security_groups(clients, lb.arn, [lb_sg])
    tg = elbv2_api.find_target_group(clients, names.target_group)
    if tg is None:
        progress(f"creating target group {names.target_group}")
        tg = elbv2_api.create_target_group(
            clients,
            names.target_group,
            vpc_id=vpc_id,
            port=spec.NGINX_PORT,
            health_check=spec.TARGET_GROUP_HEALTH_CHECK,
            tags=tags,
        )
    elif tg.health_check != spec.TARGET_GROUP_HEALTH_CHECK:
        elbv2_api.modify_health_check(clients, tg.arn, spec.TARGET_GROUP_HEALTH_CHECK)
    current = elbv2_api.target_group_attributes(clients, tg.arn)
    if any(current.get(k) != v for k, v in spec.TARGET_GROUP_ATTRIBUTES.items()):
        elbv2_api.set_target_group_attributes(clients, tg.arn, spec.TARGET_GROUP_ATTRIBUTES)
    ensure_listeners(  # domain: (NAME, Route 53 zone), domain.py
        clients, lb.arn, tg.arn, certificate_arn, tags=tags, progress=progress, domain=domain[0],
        hosted_zone_id=domain[1],
    )  # fmt: skip
    return lb, tg
