"""The `aws` platform: one state on ECS Fargate behind its own Application Load Balancer.

The flow of one deploy (DESIGN.md): secret -> images -> data -> log group -> IAM -> network -> ALB ->
ECS -> wait. Every step finds before it creates, so a second run changes nothing; a changed image or
setting registers a new task definition revision and rolls the service, then waits for it. Teardown
(`destroy`) and the tag sweeper live in `teardown.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws import iam as iam_api
from humangov_deploy.aws import logs as logs_api
from humangov_deploy.aws import ssm as ssm_api
from humangov_deploy.aws.call import AwsError, aws_call
from humangov_deploy.build.images import APP_REPOSITORY, NGINX_REPOSITORY
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import (
    IAM_PATH,
    SHARED_STATE,
    TAG_DATA,
    TAG_SPEC,
    TAG_STATE,
    StackNames,
    names_for,
    new_run_id,
    stack_tags,
)
from humangov_deploy.platforms.aws import spec, versions
from humangov_deploy.platforms.aws.data import (
    DataProvider,
    ImageProvider,
    built_images,
    check_images,
    data_provider,
)
from humangov_deploy.platforms.aws.network import (
    close_https_ingress,
    ensure_load_balancer,
    ensure_security_groups,
)
from humangov_deploy.platforms.aws.options import AwsOptions
from humangov_deploy.platforms.aws.records import SsmRecordStore
from humangov_deploy.platforms.aws.retention import protect_images, release_unused_images
from humangov_deploy.platforms.aws.status import DeployedStack, stack_status
from humangov_deploy.platforms.aws.teardown import destroy_stack
from humangov_deploy.platforms.aws.teardown import sweep as sweep_leftovers
from humangov_deploy.platforms.aws.wait import retry_iam_propagation, wait_for_rollout
from humangov_deploy.platforms.base import Progress, RecordStore, StackStatus, Version, print_progress
from humangov_deploy.waits import Clock, Deadline, Sleep


class AwsPlatform:
    name = "aws"

    def __init__(
        self,
        clients: AwsClients,
        *,
        options: AwsOptions | None = None,
        run_id: str | None = None,
        images: ImageProvider | None = None,
        data: Callable[[str], DataProvider] | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.clients = clients
        self.options = options or AwsOptions()
        self.now = now
        self.run_id = run_id or new_run_id(now())
        self.images = images or built_images(clients)
        # The data's retries sleep with the platform's sleep (tests pass a fake one).
        self._data = data or (lambda kind: data_provider(kind, clients, now, self.sleep))
        self.clock, self.sleep = clock, sleep
        self._account: spec.Account | None = None

    # --- helpers -------------------------------------------------------------------------------------

    def data_provider(self, kind: str) -> DataProvider:
        return self._data(kind)

    def account(self) -> spec.Account:
        if self._account is None:
            sts = self.clients.sts
            with aws_call("sts", "GetCallerIdentity"):
                identity = sts.get_caller_identity()
            partition = str(identity["Arn"]).split(":")[1]
            self._account = spec.Account(str(identity["Account"]), partition, self.clients.region)
        return self._account

    def data_clients(self, state: str) -> AwsClients:
        return self.clients

    # --- deploy --------------------------------------------------------------------------------------

    def deploy(self, state: str, *, timeout: float, progress: Progress = print_progress) -> StackStatus:
        names = names_for(state)
        progress(f"deploying {names.state} to {self.clients.region} (run {self.run_id})")
        return self._deploy(names, check_images(self.images(progress)), timeout=timeout, progress=progress)

    def _deploy(
        self, names: StackNames, images: dict[str, str], *, timeout: float, progress: Progress
    ) -> StackStatus:
        deadline = Deadline(timeout, self.clock)
        clients, options = self.clients, self.options
        tags = stack_tags(names.state, self.run_id, self.now())
        account = self.account()
        secret = self._secret(names, account, tags, progress)
        provider = self.data_provider(options.data)
        progress(f"data: {provider.kind}")
        data = provider.ensure(names.state, run_id=self.run_id, progress=progress, deadline=deadline)

        log_group = logs_api.ensure_log_group(
            clients,
            names.log_group,
            retention_days=options.log_retention_days,
            tags=tags,
            account=account.id,
            partition=account.partition,
        )
        task_role, execution_role = self._roles(names, account, data, log_group.arn, secret.arn, images, tags)
        progress(f"roles {task_role.name}, {execution_role.name}")

        vpc_id = ec2_api.default_vpc(clients)
        subnets = ec2_api.default_subnets(clients, vpc_id)
        progress(f"default VPC {vpc_id}, subnets in {', '.join(s.az for s in subnets)}")
        https = options.certificate_arn is not None
        lb_sg, task_sg = ensure_security_groups(clients, names, vpc_id, tags, https=https, sleep=self.sleep)
        domain = (options.domain_for(names.state), options.hosted_zone_id)  # domain.py
        lb, tg = ensure_load_balancer(
            clients, names, vpc_id, [s.id for s in subnets], lb_sg.id, tags, progress,
            options.certificate_arn, domain,
        )  # fmt: skip
        if not https:
            close_https_ingress(clients, lb_sg)  # after HTTP:80 stopped redirecting to it

        cluster = ecs_api.find_cluster(clients, names.cluster)
        if cluster is None:
            progress(f"creating cluster {names.cluster}")
            cluster = self._create_cluster(names, tags, deadline, progress)
        td_arn = self._task_definition(
            names, images, data, task_role.arn, execution_role.arn, secret.arn, tags, deadline, progress
        )
        settings = spec.service_settings(
            names=names,
            desired_count=options.desired_count,
            target_group_arn=tg.arn,
            subnets=[s.id for s in subnets],
            task_security_group=task_sg.id,
        )
        deployment_id = self._service(names, td_arn, settings, tags, deadline, progress)
        wait_for_rollout(
            clients,
            names,
            deployment_id=deployment_id,
            task_definition_arn=td_arn,
            target_group_arn=tg.arn,
            mode=options.wait,
            deadline=deadline,
            interval=options.poll_interval,
            sleep=self.sleep,
            progress=progress,
        )
        progress(f"{names.state} is up at {'https' if https else 'http'}://{lb.dns_name}")
        # What this deploy found or made is not looked up again; what changes by itself is.
        known = DeployedStack(
            data=data,
            cluster_arn=cluster.arn,
            target_group=tg,
            load_balancer=lb,
            lb_security_group=lb_sg.id,
            task_security_group=task_sg.id,
            task_role_arn=task_role.arn,
            execution_role_arn=execution_role.arn,
            log_group=log_group.name,
            secret_parameter=secret.name,
            task_definition_arn=td_arn,
        )
        return stack_status(clients, names, self.name, known=known)

    def _secret(
        self, names: StackNames, account: spec.Account, tags: dict[str, str], progress: Progress
    ) -> ssm_api.Parameter:
        # First step of a deploy: its tag records how the data is made, so a destroy after a deploy that
        # died half-way still removes the data the right way.
        kind = self.options.data
        secret = ssm_api.ensure_secret(
            self.clients,
            names.secret_parameter,
            tags={**tags, TAG_DATA: kind},
            description=f"SECRET_KEY of HumanGov {names.state} (sessions and CSRF tokens)",
            account=account.id,
            partition=account.partition,
        )
        if secret.tags.get(TAG_DATA) != kind:
            ssm_api.add_tags(self.clients, names.secret_parameter, {TAG_DATA: kind})
        progress(f"secret key in SSM parameter {names.secret_parameter}")
        return secret

    def _roles(
        self,
        names: StackNames,
        account: spec.Account,
        data: spec.DataRefs,
        log_group_arn: str,
        secret_arn: str,
        images: dict[str, str],
        tags: dict[str, str],
    ) -> tuple[iam_api.Role, iam_api.Role]:
        # Every role the library makes carries the bootstrap's boundary: the CI role may create and
        # re-policy roles only with it, so no role it makes can exceed what a HumanGov task needs.
        boundary = spec.permissions_boundary_arn(account)
        try:
            task_role, _ = iam_api.ensure_role(
                self.clients,
                names.task_role,
                trust=spec.ecs_tasks_trust(account),
                description=f"HumanGov {names.state} tasks: this state's table and bucket only",
                path=IAM_PATH,
                tags=tags,
                permissions_boundary=boundary,
                sleep=self.sleep,
            )
            iam_api.ensure_inline_policy(
                self.clients, names.task_role, names.task_policy, spec.task_role_policy(data)
            )
            execution_role, _ = iam_api.ensure_role(
                self.clients,
                names.execution_role,
                trust=spec.ecs_tasks_trust(),
                description=f"HumanGov {names.state} ECS agent: pull images, write logs, read the secret key",
                path=IAM_PATH,
                tags=tags,
                permissions_boundary=boundary,
                sleep=self.sleep,
            )
        except AwsError as exc:
            # AWS refuses a boundary that does not exist (NoSuchEntity): an account without the bootstrap.
            if exc.code == "NoSuchEntity" and exc.operation in ("CreateRole", "PutRolePermissionsBoundary"):
                raise ConfigError(
                    f"the permissions boundary {boundary} does not exist in this account: apply "
                    "terraform/bootstrap once (README, 'Set it up in a new AWS account'), then deploy again"
                ) from exc
            raise
        policy = spec.execution_role_policy(
            account=account, log_group_arn=log_group_arn, secret_arn=secret_arn, images=list(images.values())
        )
        iam_api.ensure_inline_policy(self.clients, names.execution_role, names.execution_policy, policy)
        return task_role, execution_role

    def _task_definition(
        self,
        names: StackNames,
        images: dict[str, str],
        data: spec.DataRefs,
        task_role_arn: str,
        execution_role_arn: str,
        secret_arn: str,
        tags: dict[str, str],
        deadline: Deadline,
        progress: Progress,
    ) -> str:
        wanted = spec.task_definition_spec(
            names=names,
            region=self.clients.region,
            app_image=images["app"],
            nginx_image=images["nginx"],
            data=data,
            task_role_arn=task_role_arn,
            execution_role_arn=execution_role_arn,
            secret_arn=secret_arn,
        )
        digest = spec.fingerprint(wanted)
        latest = ecs_api.latest_task_definition(self.clients, names.family)
        if latest is not None and latest.tags.get(TAG_SPEC) == digest:
            progress(f"task definition {names.family}:{latest.revision} unchanged")
            return latest.arn
        arn = retry_iam_propagation(
            lambda: ecs_api.register_task_definition(self.clients, wanted, {**tags, TAG_SPEC: digest}),
            deadline=deadline,
            sleep=self.sleep,
            progress=progress,
        )
        progress(f"registered task definition {arn.rsplit('/', 1)[-1]}")
        protect_images(self.clients, images.values(), self.account().id, progress)
        return arn

    def _service(
        self,
        names: StackNames,
        td_arn: str,
        settings: dict[str, Any],
        tags: dict[str, str],
        deadline: Deadline,
        progress: Progress,
    ) -> str:
        """Create or update the service when needed; returns the id of the deployment to wait for."""
        clients = self.clients
        digest = spec.fingerprint(settings)
        service = ecs_api.find_service(clients, names.cluster, names.service)
        if service is None:
            progress(f"creating service {names.service} ({settings['desiredCount']} tasks)")
            create = spec.create_service_spec(names=names, task_definition_arn=td_arn, settings=settings)
            create["tags"] = [{"key": k, "value": v} for k, v in sorted({**tags, TAG_SPEC: digest}.items())]
            service = self._with_cluster(
                names, lambda: ecs_api.create_service(clients, create), tags, deadline, progress
            )
        elif service.task_definition != td_arn or service.tags.get(TAG_SPEC) != digest:
            progress(f"updating service {names.service} to {td_arn.rsplit('/', 1)[-1]}")
            update = spec.update_service_spec(names=names, task_definition_arn=td_arn, settings=settings)
            service = retry_iam_propagation(
                lambda: ecs_api.update_service(clients, update),
                deadline=deadline,
                sleep=self.sleep,
                progress=progress,
            )
            ecs_api.tag_resource(clients, service.arn, {TAG_SPEC: digest})
        else:
            progress(f"service {names.service} unchanged")
        primary = service.primary
        if primary is None:
            raise ConfigError(
                f"service {names.service} has no primary deployment (another deployment controller?)"
            )
        return primary.id

    def _with_cluster(
        self,
        names: StackNames,
        create: Callable[[], ecs_api.Service],
        tags: dict[str, str],
        deadline: Deadline,
        progress: Progress,
    ) -> ecs_api.Service:
        # A concurrent `destroy` of the last other state may delete the shared cluster between our check
        # and CreateService: recreate it once, explicitly (not a silent retry of anything else).
        try:
            return retry_iam_propagation(create, deadline=deadline, sleep=self.sleep, progress=progress)
        except AwsError as exc:
            if exc.code != "ClusterNotFoundException":
                raise
            progress(f"cluster {names.cluster} went away meanwhile; recreating it")
            self._create_cluster(names, tags, deadline, progress)
            return retry_iam_propagation(create, deadline=deadline, sleep=self.sleep, progress=progress)

    def _create_cluster(
        self, names: StackNames, tags: dict[str, str], deadline: Deadline, progress: Progress
    ) -> ecs_api.Cluster:
        """The shared cluster, made with every tag (sweep finds it by them) and the state `shared`.

        The account's first CreateCluster makes ECS's service-linked role and often fails until that
        role is usable; the bounded IAM retry covers it.
        """
        shared = {**tags, TAG_STATE: SHARED_STATE}
        return retry_iam_propagation(
            lambda: ecs_api.create_fargate_cluster(self.clients, names.cluster, tags=shared),
            deadline=deadline,
            sleep=self.sleep,
            progress=progress,
        )

    # --- status --------------------------------------------------------------------------------------

    def status(self, state: str) -> StackStatus:
        return stack_status(self.clients, names_for(state), self.name)

    # --- versions (rollout; versions.py) ---------------------------------------------------------

    def deployed_states(self) -> list[str]:
        return versions.deployed_states(self.clients)

    def current_version(self, state: str) -> Version | None:
        return versions.current_version(self.clients, names_for(state))

    def prepare_version(self, progress: Progress = print_progress) -> Version:
        """Images built and pushed once for every state of a rollout (or the given ones)."""
        images = check_images(self.images(progress))
        self.account()  # looked up once here, not by every state's thread at once
        return Version(app=images["app"], nginx=images["nginx"])

    def deploy_version(
        self, state: str, version: Version, *, timeout: float, progress: Progress = print_progress
    ) -> StackStatus:
        images = {"app": version.app, "nginx": version.nginx}
        return self._deploy(names_for(state), images, timeout=timeout, progress=progress)

    def rollback(
        self, state: str, to: Version, *, timeout: float, progress: Progress = print_progress
    ) -> StackStatus:
        """The service back on the task definition revision it ran before, then the deploy's own wait.

        When that revision is gone (deregistered since), the earlier images are deployed instead: a new
        revision with the same containers.
        """
        names = names_for(state)
        if not to.ref or not versions.revision_is_active(self.clients, to.ref):
            progress(f"revision {to.ref or '(none recorded)'} is not active: deploying its images again")
            return self.deploy_version(state, to, timeout=timeout, progress=progress)
        deadline = Deadline(timeout, self.clock)
        deployment_id, target_group_arn = versions.point_service_at(self.clients, names, to.ref, progress)
        wait_for_rollout(
            self.clients,
            names,
            deployment_id=deployment_id,
            task_definition_arn=to.ref,
            target_group_arn=target_group_arn,
            mode=self.options.wait,
            deadline=deadline,
            interval=self.options.poll_interval,
            sleep=self.sleep,
            progress=progress,
        )
        return self.status(names.state)

    def rollout_records(self) -> RecordStore:
        return SsmRecordStore(self.clients)

    def stop_task(self, state: str, task_id: str) -> None:
        """ECS StopTask on one of the state's tasks (failover drills); the service brings the count back."""
        names = names_for(state)
        ecs_api.stop_task(
            self.clients, names.cluster, task_id, reason=f"humangov: {names.state} task stopped on request"
        )

    # --- destroy and sweep (teardown.py) ---------------------------------------------------------

    def destroy(self, state: str, *, timeout: float, progress: Progress = print_progress) -> None:
        destroy_stack(self, names_for(state), deadline=Deadline(timeout, self.clock), progress=progress)
        release_unused_images(self.clients, (APP_REPOSITORY, NGINX_REPOSITORY), progress)

    def sweep(
        self,
        *,
        older_than: float,
        dry_run: bool,
        timeout: float,
        run_id: str | None = None,
        states: list[str] | None = None,
        progress: Progress = print_progress,
    ) -> Any:
        return sweep_leftovers(
            self,
            older_than=older_than,
            dry_run=dry_run,
            timeout=timeout,
            run_id=run_id,
            states=states,
            progress=progress,
        )
