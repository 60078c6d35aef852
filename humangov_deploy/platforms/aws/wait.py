"""Waiting for a rollout on ECS, and the bounded retry of what propagation explains (a new role or a
new listener that ECS does not see yet).

The rollout wait fails fast with the reason (ecspresso/ecs-deploy users' top complaint is waits that run
out the clock): a deployment the circuit breaker marked FAILED, a deployment replaced by a rollback, a
task of the new deployment that stopped for a reason that will repeat (essential container exit, failed
health checks), or a service event saying the account's Fargate vCPU quota is met. Tasks that fail to
start are retried by ECS: they are counted, and the circuit breaker decides. Throttled polls are
observations, not failures: the next poll backs off.

IAM is eventually consistent, so a task may stop because its roles or their policies, written seconds
before, are not yet in effect: such stops are forgiven, but only within a propagation window and only a
few times (`PropagationGrace`); after that the same stop is fatal with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeVar

from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws.call import AwsError
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import DeployTimeout
from humangov_deploy.naming import StackNames
from humangov_deploy.waits import Deadline, Poll, Sleep, poll_until

WaitMode = Literal["healthy", "stable", "none"]
WAIT_MODES: tuple[str, ...] = ("healthy", "stable", "none")

_ROLE_NOT_READY = re.compile(r"cannot be assumed|unable to assume|role is not valid", re.IGNORECASE)
# RegisterTaskDefinition with a role made moments ago answers "ClientException: Role is not valid", or
# AccessDenied on iam:PassRole, until IAM has propagated it ("Changes that I make are not always
# immediately visible": https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html).
_PASS_ROLE = re.compile(r"iam:PassRole", re.IGNORECASE)
# CreateService right after CreateListener can still say the target group has no load balancer
# (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html, Errors:
# InvalidParameterException); terraform-provider-aws retries exactly this message.
_TARGET_GROUP_NOT_ATTACHED = re.compile(r"does not have an associated load balancer", re.IGNORECASE)
# ECS makes its service-linked role on the account's first CreateCluster and cannot use it at once:
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html
_SERVICE_LINKED_ROLE = re.compile(r"service[- ]linked role", re.IGNORECASE)
# What a stopped task says when the execution role may not pull the image or read the secret (yet):
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
_ACCESS_NOT_YET = re.compile(
    r"(CannotPullContainerError|unable to pull secrets or registry auth)"
    r".*(AccessDenied|not authorized|403 Forbidden)",
    re.IGNORECASE,
)
# IAM changes usually take effect within seconds, rarely minutes:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
IAM_PROPAGATION_WINDOW = 180.0  # seconds after the wait started
IAM_PROPAGATION_STOPS = 10  # task stops forgiven at most
FATAL_STOP_CODES = frozenset({"EssentialContainerExited"})
# A task that fails to start (TaskFailedToStart, ResourceInitializationError) is retried by ECS, and the
# deployment circuit breaker marks the deployment FAILED once enough have failed
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html): such
# stops are counted, and the wait fails on FAILED; this many stops fail it anyway (a service without the
# breaker).
START_FAILURE_LIMIT = 10
_START_FAILURE = re.compile(r"ResourceInitializationError", re.IGNORECASE)
# A Fargate vCPU quota met is a service event, not an error, and no retry helps until tasks stop or the
# quota is raised (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html).
_VCPU_LIMIT = re.compile(r"reached the limit on the number of vCPUs", re.IGNORECASE)
BLOCKING_TARGET_STATES = frozenset({"initial", "unhealthy", "unavailable"})


@dataclass
class RolloutView:
    """What one poll saw; its text is the progress line and the timeout's "last seen"."""

    service: str
    deployment_id: str
    desired: int = 0
    running: int = 0
    pending: int = 0
    rollout: str | None = None
    deployments: int = 0
    targets: list[elbv2_api.TargetHealth] = field(default_factory=list)
    checked_targets: bool = False
    last_event: str = ""
    note: str = ""

    def __str__(self) -> str:
        text = (
            f"{self.service}: {self.running}/{self.desired} running, {self.pending} pending, "
            f"rollout {self.rollout or 'unknown'}, {self.deployments} deployment(s)"
        )
        notes = [self.note] if self.note else []
        if self.checked_targets and not self.targets and self.running:
            notes.append(
                "no targets registered: an emulator that runs no ECS tasks (moto) needs --wait stable"
            )
        if self.checked_targets:
            counts: dict[str, int] = {}
            for target in self.targets:
                counts[target.state] = counts.get(target.state, 0) + 1
            summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none registered"
            reasons = sorted({t.reason for t in self.targets if t.reason and t.state != "healthy"})
            text += f"; targets: {summary}" + (f" ({', '.join(reasons)})" if reasons else "")
        return "; ".join([text, *notes])


def iam_propagation_stop(task: ecs_api.Task) -> bool:
    """A stop that a role or policy written moments ago explains (not yet assumable, access denied)."""
    text = task.why_stopped()
    return bool(_ROLE_NOT_READY.search(text) or _ACCESS_NOT_YET.search(text))


def start_failure(task: ecs_api.Task) -> bool:
    """A stop at start that ECS retries by itself (the circuit breaker judges a run of them)."""
    return task.stop_code == "TaskFailedToStart" or bool(_START_FAILURE.search(task.why_stopped()))


def _vcpu_limit_event(service: ecs_api.Service, since: datetime | None) -> str | None:
    """The newest service event of this deployment saying the account's Fargate vCPU quota is met."""
    for event in service.raw.get("events", []):
        created = event.get("createdAt")
        if since is not None and isinstance(created, datetime) and created < since:
            break  # events are newest first: the rest are older than the deployment
        message = str(event.get("message", ""))
        if _VCPU_LIMIT.search(message):
            return message
    return None


def _fatal_stop(task: ecs_api.Task) -> bool:
    if task.stop_code in FATAL_STOP_CODES:
        return True
    return "health checks" in task.stopped_reason.lower()


@dataclass
class PropagationGrace:
    """Forgives task stops that IAM propagation explains, early in the wait and a few times only.

    ECS starts another task after such a stop, and once IAM has caught up it runs; a denial that is
    still there after the window (or after `max_stops` stops) is a real one and fails the wait. Each
    task is judged once, when first seen: stopped tasks stay listed for an hour.
    """

    started: float
    window: float = IAM_PROPAGATION_WINDOW
    max_stops: int = IAM_PROPAGATION_STOPS
    forgiven: dict[str, str] = field(default_factory=dict)  # task id -> why it stopped

    def forgive(self, task: ecs_api.Task, now: float) -> bool:
        if task.id in self.forgiven:
            return True
        if now - self.started > self.window or len(self.forgiven) >= self.max_stops:
            return False
        self.forgiven[task.id] = task.why_stopped()
        return True

    def refusal(self, now: float) -> str:
        if len(self.forgiven) >= self.max_stops:
            return f"after {len(self.forgiven)} such stops"
        return f"{now - self.started:.0f}s into the wait, past the {self.window:.0f}s IAM propagation window"

    def note(self) -> str:
        if not self.forgiven:
            return ""
        last = list(self.forgiven.values())[-1]
        return f"{len(self.forgiven)} task stop(s) put down to IAM propagation (last: {last})"


def wait_for_rollout(
    clients: AwsClients,
    names: StackNames,
    *,
    deployment_id: str,
    task_definition_arn: str,
    target_group_arn: str,
    mode: WaitMode,
    deadline: Deadline,
    interval: float,
    sleep: Sleep,
    progress: Callable[[str], None],
    propagation_window: float = IAM_PROPAGATION_WINDOW,
    propagation_stops: int = IAM_PROPAGATION_STOPS,
) -> RolloutView | None:
    """Poll until the deployment is the only one, complete, and (mode healthy) its targets are healthy."""
    if mode == "none":
        progress("not waiting for the rollout (--wait none)")
        return None
    last_line: list[str] = []
    clock = deadline.clock
    grace = PropagationGrace(clock(), propagation_window, propagation_stops)
    start_failures: dict[str, str] = {}  # task id -> why it failed to start

    def check() -> Poll[RolloutView]:
        view = RolloutView(service=names.service, deployment_id=deployment_id)
        try:
            return _check(view)
        except AwsError as exc:
            if exc.throttled:
                view.note = f"throttled by {exc.service}.{exc.operation}; backing off"
                return Poll(False, view)
            raise

    def _check(view: RolloutView) -> Poll[RolloutView]:
        service = ecs_api.find_service(clients, names.cluster, names.service)
        if service is None:
            return Poll(False, view, fatal=f"service {names.service} no longer exists")
        view.desired, view.running, view.pending = service.desired, service.running, service.pending
        view.deployments = len(service.deployments)
        view.last_event = service.events[0] if service.events else ""
        ours = next((d for d in service.deployments if d.id == deployment_id), None)
        if ours is None:
            now = service.primary.task_definition if service.primary else "nothing"
            return Poll(
                False,
                view,
                fatal=f"deployment {deployment_id} was replaced (circuit breaker rollback?); the service "
                f"now runs {now}. Last event: {view.last_event or 'none'}",
            )
        view.rollout = ours.rollout_state
        # The new deployment's own counts: the service's include the old tasks still serving.
        view.running, view.pending = ours.running, ours.pending
        if ours.rollout_state == "FAILED":
            rolled_back = (
                " and was rolled back to the previous task definition" if view.deployments > 1 else ""
            )
            reason = ours.rollout_reason or view.last_event or "no reason given"
            if start_failures:
                reason += f" (last task that failed to start: {list(start_failures.values())[-1]})"
            return Poll(False, view, fatal=f"deployment {deployment_id} failed{rolled_back}: {reason}")
        quota = _vcpu_limit_event(service, ours.created)
        if quota is not None:
            return Poll(
                False,
                view,
                fatal=f"the account's Fargate vCPU quota is met: {quota} (raise 'Fargate On-Demand vCPU "
                "resource count' in Service Quotas, or deploy fewer states at once)",
            )
        for task in ecs_api.service_tasks(clients, names.cluster, names.service, desired_status="STOPPED"):
            if task.started_by != deployment_id or task.task_definition != task_definition_arn:
                continue
            if iam_propagation_stop(task):
                seen_at = clock()
                if grace.forgive(task, seen_at):
                    continue
                return Poll(
                    False,
                    view,
                    fatal=f"task {task.id} stopped: {task.why_stopped()} (still {grace.refusal(seen_at)}: "
                    "check the task and execution roles' policies)",
                )
            if start_failure(task):
                start_failures.setdefault(task.id, task.why_stopped())
                if len(start_failures) < START_FAILURE_LIMIT:
                    continue
                return Poll(
                    False,
                    view,
                    fatal=f"{len(start_failures)} tasks failed to start; the last, {task.id}: "
                    f"{task.why_stopped()}",
                )
            if _fatal_stop(task):
                return Poll(False, view, fatal=f"task {task.id} stopped: {task.why_stopped()}")
        notes = [grace.note()] if grace.note() else []
        if start_failures:
            last = list(start_failures.values())[-1]
            notes.append(f"{len(start_failures)} task(s) failed to start, ECS retries them (last: {last})")
        view.note = "; ".join(notes)
        stable = (
            service.primary is ours
            and view.deployments == 1
            and ours.running == ours.desired == service.desired
            and ours.rollout_state in (None, "COMPLETED")
        )
        if mode == "stable":
            return Poll(stable, view)
        view.targets = elbv2_api.target_health(clients, target_group_arn)
        view.checked_targets = True
        if stable and not view.targets:
            running = ecs_api.service_tasks(clients, names.cluster, names.service, desired_status="RUNNING")
            if not running:
                # AWS never completes a rollout without tasks; an emulator (moto) reports counts for
                # tasks it never starts. Say so now rather than run out the clock.
                return Poll(
                    False,
                    view,
                    fatal=f"the service reports {service.running} running task(s) but none exists and "
                    "no target is registered: an emulator that runs no ECS tasks (such as moto)? "
                    "use --wait stable",
                )
        healthy = [t for t in view.targets if t.state == "healthy"]
        blocking = [t for t in view.targets if t.state in BLOCKING_TARGET_STATES]
        return Poll(stable and len(healthy) >= service.desired and not blocking, view)

    def on_progress(view: RolloutView) -> None:
        line = str(view)
        if not last_line or last_line[-1] != line:
            last_line.append(line)
            progress(line)

    return poll_until(
        check,
        timeout=deadline,
        interval=interval,
        what=f"the rollout of {names.service}",
        clock=deadline.clock,
        sleep=sleep,
        on_progress=on_progress,
        hint=(
            f"see `humangov status --state {names.state} --platform aws` and the log group "
            f"{names.log_group}; raise --timeout if the tasks are only slow to start"
            + (
                "; on moto's server, service tasks run only if MOTO_ECS_SERVICE_RUNNING is set in its "
                "environment"
                if clients.endpoint_url
                else ""
            )
        ),
    )


# --- IAM eventual consistency --------------------------------------------------------------------------

T = TypeVar("T")


def role_not_ready(exc: AwsError) -> bool:
    """ECS rejecting a role IAM has created but not yet propagated (seconds after CreateRole)."""
    if exc.code in ("AccessDeniedException", "AccessDenied"):
        return bool(_PASS_ROLE.search(str(exc)))
    return exc.code in ("InvalidParameterException", "ClientException") and bool(
        _ROLE_NOT_READY.search(str(exc))
    )


def listener_not_ready(exc: AwsError) -> bool:
    """ECS not yet seeing the listener that was just made to forward to the target group."""
    return exc.code == "InvalidParameterException" and bool(_TARGET_GROUP_NOT_ATTACHED.search(str(exc)))


def _not_ready(exc: AwsError) -> tuple[str, str] | None:
    """(what is awaited, the progress line) for an error that propagation explains, else None."""
    if listener_not_ready(exc):
        return (
            "ECS to see the load balancer's new listener",
            f"the target group's new listener is not yet seen by ECS ({exc.code})",
        )
    if not role_not_ready(exc):
        return None
    if _SERVICE_LINKED_ROLE.search(str(exc)):
        return (
            "ECS's new service-linked role to become usable",
            f"ECS's service-linked role not yet usable (the account's first cluster, {exc.code})",
        )
    return ("a new IAM role to become usable by ECS", f"IAM role not yet usable by ECS ({exc.code})")


def retry_iam_propagation(
    call: Callable[[], T],
    *,
    deadline: Deadline,
    sleep: Sleep,
    progress: Callable[[str], None],
    attempts: int = 6,
    first_delay: float = 2.0,
    max_delay: float = 15.0,
) -> T:
    """Run `call`, retrying only what propagation explains (a role not yet usable by ECS, a listener
    ECS does not see yet), with backoff, at most `attempts` times."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except AwsError as exc:
            reason = _not_ready(exc)
            if reason is None or attempt == attempts:
                raise
            what, line = reason
            if deadline.remaining() <= delay:
                raise DeployTimeout(what, str(exc), "retry in a minute") from exc
            progress(f"{line}; retrying in {delay:.0f}s")
            sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")  # pragma: no cover
