"""The `local` platform: one state's whole stack on the local Docker engine, no AWS account needed.

Per state: an AWS emulator (moto's server) on the state's data network holding its table and bucket
(made by `humangov_deploy.data.create`, the same schema as on AWS); two tasks (holder + app + nginx sharing a
network namespace, as on Fargate) in two "Availability Zones", one Docker network each; an HAProxy load
balancer on both zone networks with active health checks, published on 127.0.0.1: the state's URL.
Every object is labelled with the state, the run id and `humangov.managed-by`, and `destroy` removes
exactly the objects of that state. The parts: spec (settings, pure), tasks (tasks and their replacement),
lb (the load balancer), images (images), teardown (destroy, sweep), ca (the state's HTTPS certificate),
records (rollout records) and engine (every Docker call).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import boto3
import requests
from botocore.exceptions import BotoCoreError

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.data.state import find_state_data
from humangov_deploy.errors import ConfigError, DeploymentFailed, HumangovError
from humangov_deploy.naming import domain_name, format_time
from humangov_deploy.platforms.base import (
    Progress,
    RecordStore,
    StackStatus,
    SweepReport,
    Version,
    print_progress,
)
from humangov_deploy.platforms.local import engine as dock
from humangov_deploy.platforms.local import images as local_images
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local import tasks as tasks_mod
from humangov_deploy.platforms.local.ca import LocalCA, local_domain
from humangov_deploy.platforms.local.lb import LABEL_DOMAIN, ensure_lb, find_lb, lb_health, lb_listeners
from humangov_deploy.platforms.local.records import DockerRecordStore
from humangov_deploy.platforms.local.tasks import Images, Task, TaskDefinition
from humangov_deploy.platforms.local.teardown import destroy_state, sweep
from humangov_deploy.waits import Deadline, Poll, poll_until

HTTP_TIMEOUT = 2.0
DEFAULT_REGION = "us-east-1"


class LocalPlatform:
    name = "local"

    def __init__(
        self,
        *,
        docker: Any = None,
        region: str = DEFAULT_REGION,
        run_id: str | None = None,
        desired_count: int = spec.DEFAULT_TASK_COUNT,
        images: Images | None = None,
        image_provider: Callable[[Any, Progress], Images] | None = None,
        poll_interval: float = 0.5,
        http: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clients_factory: Callable[[str], AwsClients] | None = None,
        ca: LocalCA | None = None,
        domain: str | None = None,
    ) -> None:
        if desired_count < 1:
            raise ConfigError(f"--desired-count must be at least 1, not {desired_count}")
        self._docker = docker
        self.region = region
        self.run_id = run_id
        self.desired_count = desired_count
        self._images = images
        self._image_provider = image_provider
        self.poll_interval = poll_interval
        self.http = http or requests.Session()
        self.clock, self.sleep, self.now = clock, sleep, now
        self._clients_factory = clients_factory
        # The machine's CA under the cache directory (made on the first deploy): the LBs' HTTPS certificate.
        self.ca = ca or LocalCA(now=now)
        # `deploy --domain NAME` (`{state}` stands for the state): its certificate names NAME (ca.py).
        self.domain = domain
        # A rollout deploys several states from threads: the images are looked up (or built) once.
        self._images_lock = threading.Lock()
        self._own_images: Images | None = None

    @property
    def docker(self) -> Any:
        if self._docker is None:
            self._docker = dock.docker_client()
        return self._docker

    # --- deploy -------------------------------------------------------------------------------------

    def deploy(self, state: str, *, timeout: float, progress: Progress = print_progress) -> StackStatus:
        return self._deploy(state, self.images(progress), timeout=timeout, progress=progress)

    def _deploy(self, state: str, images: Images, *, timeout: float, progress: Progress) -> StackStatus:
        state = appsrc.validate_state(state)
        domain = local_domain(domain_name(self.domain, state)) if self.domain else None  # before any object
        deadline = Deadline(timeout, self.clock)
        names = spec.LocalNames(state)
        # What this deploy creates carries its own creation time (the stack keeps its run id): a sweep judges
        # a state by its newest object, so a stack redeployed a moment ago is never taken for an old one.
        labels = {**self._identity(state), spec.LABEL_CREATED_AT: format_time(self.now())}
        progress(f"{state}: run {labels[spec.LABEL_RUN_ID]}, networks {', '.join(names.networks)}")
        data_network = dock.ensure_network(
            self.docker,
            names.data_network,
            {**labels, spec.LABEL_ROLE: "network", spec.LABEL_SECRET: secrets.token_urlsafe(32)},
        )
        for zone in spec.ZONES:
            dock.ensure_network(
                self.docker,
                names.zone_network(zone),
                {**labels, spec.LABEL_ROLE: "network", spec.LABEL_AZ: zone},
            )
        # The LB first: it starts in a blink and needs nothing else, so it is up while the emulator boots.
        certificate = self.ca.leaf(domain)
        lb_labels = {**labels, LABEL_DOMAIN: domain} if domain else labels
        ensure_lb(self.docker, names, images.lb, lb_labels, self.desired_count, progress, certificate)
        endpoint_port = self._ensure_emulator(names, images, labels, progress)
        endpoint = f"http://127.0.0.1:{endpoint_port}"
        self._wait_http(f"{endpoint}/moto-api/", "the AWS emulator to answer", deadline)
        data = create_state_data(
            self._emulator_clients(endpoint),
            state,
            run_id=labels[spec.LABEL_RUN_ID],
            progress=progress,
        )
        secret_key = dock.labels_of(data_network).get(spec.LABEL_SECRET) or ""
        environment = spec.app_environment(
            state=state,
            region=self.region,
            table=data.table,
            bucket=data.bucket,
            endpoint_url=endpoint,
            secret_key=secret_key,
        )
        definition = TaskDefinition(images, environment, endpoint_port, names.emulator)
        self._converge_tasks(names, definition, labels, deadline, progress)
        progress(f"waiting for {self.desired_count} task(s) healthy behind the load balancer")
        self._wait(
            lambda: self._health_poll(state, self.desired_count),
            deadline,
            f"{state}'s tasks to turn healthy behind the load balancer",
            hint="see `docker logs` of the state's app and nginx containers (`humangov status` lists them)",
        )
        status = self.status(state)
        progress(f"{state} is up: {status.url}")
        return status

    def images(self, progress: Progress = print_progress) -> Images:
        """The four images, built when missing (the app's and nginx's by humangov_deploy.build.images)."""
        with self._images_lock:
            if self._images is None:
                provider = self._image_provider or local_images.all_images
                self._images = provider(self.docker, progress)
            return self._images

    # --- versions (rollout) ---------------------------------------------------------------------------

    def deployed_states(self) -> list[str]:
        """States with any object of ours on the engine (a half-deployed state counts: it can be fixed)."""
        managed = {"label": [f"{spec.LABEL_MANAGED_BY}={spec.MANAGED_BY}"]}
        objects = [
            *self.docker.networks.list(filters=managed),
            *self.docker.containers.list(all=True, filters=managed),
        ]
        found = {dock.labels_of(obj).get(spec.LABEL_STATE, "") for obj in objects}
        return sorted(s for s in found if s)

    def current_version(self, state: str) -> Version | None:
        """The images of the state's running tasks (of any task, when none runs); None without tasks."""
        found = tasks_mod.find_tasks(self.docker, appsrc.validate_state(state))
        ordered = [t for t in found if t.status == "RUNNING"] + [t for t in found if t.status != "RUNNING"]
        for task in ordered:
            definition = tasks_mod.definition_of(task)
            if definition is not None:
                return Version(app=definition.images.app, nginx=definition.images.nginx)
        return None

    def prepare_version(self, progress: Progress = print_progress) -> Version:
        images = self.images(progress)
        return Version(app=images.app, nginx=images.nginx)

    def deploy_version(
        self, state: str, version: Version, *, timeout: float, progress: Progress = print_progress
    ) -> StackStatus:
        own = self._lb_and_emulator(progress)
        images = Images(app=version.app, nginx=version.nginx, lb=own.lb, emulator=own.emulator)
        return self._deploy(state, images, timeout=timeout, progress=progress)

    def rollback(
        self, state: str, to: Version, *, timeout: float, progress: Progress = print_progress
    ) -> StackStatus:
        """On Docker the images are the version: a rolling redeploy of the earlier images."""
        return self.deploy_version(state, to, timeout=timeout, progress=progress)

    def rollout_records(self) -> RecordStore:
        return DockerRecordStore(self.docker)

    def _lb_and_emulator(self, progress: Progress) -> Images:
        with self._images_lock:
            if self._own_images is None:
                known = self._images
                self._own_images = known or local_images.own_images(self.docker, progress)
            return self._own_images

    def _identity(self, state: str) -> dict[str, str]:
        """Labels of the stack: an existing stack keeps its run id (and its networks their creation time)."""
        for network in dock.list_networks(self.docker, state):
            labels = dock.labels_of(network)
            if labels.get(spec.LABEL_RUN_ID):
                return spec.base_labels(
                    state, labels[spec.LABEL_RUN_ID], labels.get(spec.LABEL_CREATED_AT, ""), role="network"
                )
        now = self.now()
        run_id = self.run_id or f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        return spec.base_labels(state, run_id, format_time(now), role="network")

    def _one(self, state: str, role: str) -> Any | None:
        found = dock.list_containers(self.docker, state, **{spec.LABEL_ROLE: role})
        return found[0] if found else None

    def _ensure_emulator(
        self, names: spec.LocalNames, images: Images, labels: dict[str, str], progress: Progress
    ) -> int:
        current = self._one(names.state, "emulator")
        if current is not None and current.status != "running":
            # moto keeps its data in memory: a stopped emulator has lost the state's data anyway.
            progress(f"emulator {names.emulator} is {current.status}: starting it (its data starts empty)")
            current.start()
        if current is None:
            progress(f"starting AWS emulator {names.emulator}")
            current = dock.run_container(
                self.docker,
                name=names.emulator,
                image=images.emulator,
                labels={**labels, spec.LABEL_ROLE: "emulator"},
                network=names.data_network,
                ports={f"{spec.EMULATOR_PORT}/tcp": ("127.0.0.1", None)},
                restart_policy={"Name": "unless-stopped"},
            )
        port = dock.host_port(current, spec.EMULATOR_PORT)
        if port is None:
            raise DeploymentFailed(f"the emulator {names.emulator} has no published port; see its logs")
        return port

    def _converge_tasks(
        self,
        names: spec.LocalNames,
        definition: TaskDefinition,
        labels: dict[str, str],
        deadline: Deadline,
        progress: Progress,
    ) -> None:
        """One RUNNING task of the current definition per slot; a changed slot is replaced, one at a time."""
        by_slot: dict[int, list[Task]] = {}
        for task in tasks_mod.find_tasks(self.docker, names.state):
            by_slot.setdefault(task.slot, []).append(task)
        for slot in sorted(by_slot):
            if slot > self.desired_count:
                for task in by_slot.pop(slot):
                    progress(f"stopping task {task.id}: more tasks than the desired {self.desired_count}")
                    tasks_mod.stop_task(task)
        for slot in range(1, self.desired_count + 1):
            current = by_slot.get(slot, [])
            keep = [
                t for t in current if t.spec == definition.fingerprint and t.status in ("RUNNING", "PENDING")
            ]
            for task in current:
                if task not in keep[:1]:
                    progress(
                        f"replacing task {task.id} in {task.az} ({task.status.lower()}, older definition?)"
                    )
                    tasks_mod.stop_task(task)
            if keep:
                continue
            if current:
                # The LB reports what its last check found: the slot stays UP until a check fails, up to a
                # second after its task was stopped. Wait until it no longer says UP, so that the UP awaited
                # below can only come from a check of the new task (a deploy once ended on the stale UP of
                # a task already gone, and the next slot's task was stopped while this one still booted).
                self._wait(
                    partial(self._slot_out_poll, names.state, slot),
                    deadline,
                    f"the load balancer to take slot {slot}'s old task out",
                )
            task = tasks_mod.start_task(
                self.docker, names=names, slot=slot, definition=definition, labels={**labels}
            )
            progress(f"started task {task.id} in {task.az}")
            if current:
                # A rolling replacement: the next slot waits until this one serves, so one always does.
                self._wait(
                    partial(self._slot_poll, names.state, slot),
                    deadline,
                    f"the new task in slot {slot} to turn healthy",
                )

    # --- health ---------------------------------------------------------------------------------------

    def _wait_http(self, url: str, what: str, deadline: Deadline) -> None:
        def check() -> Poll[str]:
            try:
                code = self.http.get(url, timeout=HTTP_TIMEOUT).status_code
            except requests.RequestException as exc:
                return Poll(False, type(exc).__name__)
            return Poll(code == 200, f"HTTP {code}")

        self._wait(check, deadline, what)

    def _wait(self, check: Callable[[], Poll[str]], deadline: Deadline, what: str, hint: str = "") -> None:
        """poll_until on this platform's clock, sleep and poll interval."""
        poll_until(
            check,
            timeout=deadline,
            interval=self.poll_interval,
            what=what,
            clock=self.clock,
            sleep=self.sleep,
            hint=hint,
        )

    def lb_health(self, state: str) -> dict[str, bool]:
        """Which LB servers (slots) are UP, from HAProxy's stats; empty when the LB does not answer."""
        return lb_health(self.docker, self.http, state)

    def _health_poll(self, state: str, desired: int) -> Poll[str]:
        found = tasks_mod.find_tasks(self.docker, state)
        health = self.lb_health(state)
        fatal = tasks_mod.fatal_reason(found) or tasks_mod.crashing("load balancer", self._one(state, "lb"))
        infos = [t.info(health) for t in found]
        summary = (
            ", ".join(f"{i.id}@{i.az}:{i.status}{'/healthy' if i.healthy else ''}" for i in infos)
            or "no tasks"
        )
        healthy = sum(1 for i in infos if i.healthy)
        return Poll(healthy >= desired and len(infos) == desired, summary, fatal)

    def _slot_poll(self, state: str, slot: int) -> Poll[str]:
        health = self.lb_health(state)
        found = [t for t in tasks_mod.find_tasks(self.docker, state) if t.slot == slot]
        ok = any(t.info(health).healthy for t in found)
        return Poll(ok, f"slot {slot}: {[t.status for t in found]}", tasks_mod.fatal_reason(found))

    def _slot_out_poll(self, state: str, slot: int) -> Poll[str]:
        status = self.lb_health(state).get(spec.slot_alias(slot))
        return Poll(not status, f"slot {slot}: {'UP' if status else 'out'} at the load balancer")

    # --- status, data, stop, destroy ------------------------------------------------------------------

    def status(self, state: str) -> StackStatus:
        """What exists of the state; like ECS's scheduler, a stopped task is replaced on the way."""
        state = appsrc.validate_state(state)
        result = StackStatus(state=state, platform=self.name, region=self.region)
        lb = find_lb(self.docker, state)
        if lb is not None and lb.status == "running":
            lb_listeners(lb, result, str(self.ca.ca_bundle))
        labels = self._stack_labels(state)
        if labels is not None and lb is not None:
            tasks_mod.replace_stopped(
                self.docker, state, labels=labels, progress=lambda _m: None, desired=self.desired_count
            )
        health = self.lb_health(state)
        found = tasks_mod.find_tasks(self.docker, state)
        result.tasks = [t.info(health) for t in found]
        endpoint = self._endpoint(state)
        if endpoint is not None:
            try:
                data = find_state_data(self._emulator_clients(endpoint), state)
            except (HumangovError, BotoCoreError):  # an emulator still starting: no data to report yet
                data = None
            if data is not None:
                result.table, result.bucket = data.table, data.bucket
            result.resources["emulator"] = endpoint
        containers = dock.list_containers(self.docker, state)
        if containers:
            result.resources["containers"] = sorted(f"{c.name} ({c.status})" for c in containers)
        networks = dock.list_networks(self.docker, state)
        if networks:
            result.resources["networks"] = sorted(n.name for n in networks)
        return result

    def _stack_labels(self, state: str) -> dict[str, str] | None:
        for network in dock.list_networks(self.docker, state):
            if network.name == spec.LocalNames(state).data_network:
                found = dock.labels_of(network)
                return spec.base_labels(
                    state, found.get(spec.LABEL_RUN_ID, ""), found.get(spec.LABEL_CREATED_AT, ""), role="task"
                )
        return None

    def _endpoint(self, state: str) -> str | None:
        emulator = self._one(state, "emulator")
        if emulator is None or emulator.status != "running":
            return None
        port = dock.host_port(emulator, spec.EMULATOR_PORT)
        return f"http://127.0.0.1:{port}" if port else None

    def _emulator_clients(self, endpoint: str) -> AwsClients:
        if self._clients_factory is not None:
            return self._clients_factory(endpoint)
        # The emulator accepts any credentials; fixed ones keep boto3 from looking for real ones.
        session = boto3.session.Session(
            aws_access_key_id=spec.EMULATOR_ACCESS_KEY,
            aws_secret_access_key=spec.EMULATOR_ACCESS_KEY,
            region_name=self.region,
        )
        return AwsClients(region=self.region, endpoint_url=endpoint, session=session)

    def data_clients(self, state: str) -> AwsClients:
        endpoint = self._endpoint(appsrc.validate_state(state))
        if endpoint is None:
            raise ConfigError(f"{state} has no running AWS emulator on the local platform; deploy it first")
        return self._emulator_clients(endpoint)

    def stop_task(self, state: str, task_id: str) -> None:
        """Stop one task as ECS's StopTask does (SIGTERM, then SIGKILL after the stop timeout)."""
        for task in tasks_mod.find_tasks(self.docker, appsrc.validate_state(state)):
            if task.id == task_id:
                tasks_mod.stop_task(task)
                return
        raise ConfigError(f"{state} has no task {task_id}")

    def destroy(self, state: str, *, timeout: float, progress: Progress = print_progress) -> None:
        """Remove every container, network and volume labelled with the state; nothing else."""
        state = appsrc.validate_state(state)
        destroy_state(self.docker, state, deadline=Deadline(timeout, self.clock), progress=progress)

    def sweep(
        self,
        *,
        older_than: float,
        dry_run: bool,
        timeout: float,
        run_id: str | None = None,
        states: list[str] | None = None,
        progress: Progress = print_progress,
    ) -> SweepReport:
        """Remove the states left behind by runs that never cleaned up (a killed test run, say)."""
        wanted = [appsrc.validate_state(s) for s in states] if states else None
        return sweep(
            self.docker,
            now=self.now(),
            older_than=older_than,
            dry_run=dry_run,
            timeout=timeout,
            clock=self.clock,
            run_id=run_id,
            states=wanted,
            progress=progress,
        )
