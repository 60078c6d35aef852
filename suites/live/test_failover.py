"""Failover: stop one task; the load balancer keeps serving, no data is lost, the task count comes back."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests
from livekit import LiveStack, stop_task

from humangov_deploy import appsrc
from humangov_deploy.http_session import ca_session
from humangov_deploy.platforms.base import TaskInfo
from humangov_deploy.waits import Poll, poll_until

# While a task is gone, at most this many requests may fail. Both platforms drain a stopped task
# (ECS deregisters it from the target group first; HAProxy retries a GET that met a closing task on the
# other), so the measured count is 0; a few allow for a request caught in the instant of the stop.
MAX_FAILED_REQUESTS = 3
MIN_REQUESTS = 20
RECOVERY_SECONDS = {"local": 90.0, "aws": 600.0}


@dataclass
class Load:
    """Steady reads of one record through the load balancer, on a thread, counting what fails."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)  # the suite's editor's token
    ca_bundle: str | None = None  # the local platform's CA: its HTTPS is checked against it
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        session = ca_session(self.ca_bundle)
        session.headers.update(self.headers)
        while not self.stop.is_set():
            try:
                response = session.get(self.url, timeout=10)
                if response.status_code == 200:
                    self.ok += 1
                else:
                    self.failed.append(f"HTTP {response.status_code}")
            except requests.RequestException as exc:
                self.failed.append(type(exc).__name__)
            self.stop.wait(0.05)


def test_stopping_a_task_keeps_serving_and_the_count_comes_back(stack: LiveStack) -> None:
    marker = uuid.uuid4().hex[:10]
    pdf = f"%PDF-1.4\n% failover {marker}\n%%EOF\n".encode()
    created = stack.http.post(
        f"{stack.url}/api/employees",
        data={"first_name": "Fail", "last_name": f"Over-{marker}", "role": "Tester", "salary": "1"},
        files={"pdf": (f"failover-{marker}.pdf", pdf, "application/pdf")},
        timeout=15,
    )
    assert created.status_code == 201, created.text
    record = created.json()

    before = [t for t in stack.refresh().tasks if t.status == "RUNNING" and t.healthy]
    assert len(before) >= 2, stack.status.tasks
    victim = before[0]

    load = Load(f"{stack.url}/api/employees/{record['id']}", stack.auth, ca_bundle=stack.status.ca_bundle)
    worker = threading.Thread(target=load.run, daemon=True)
    worker.start()
    try:
        time.sleep(1)  # load before the stop, so the count covers the whole window
        stop_task(stack, victim.id)

        def recovered() -> Poll[list[TaskInfo]]:
            tasks = stack.refresh().tasks
            serving = [t for t in tasks if t.status == "RUNNING" and t.healthy]
            back = len(serving) >= len(before) and victim.id not in {t.id for t in serving}
            return Poll(back and len({t.az for t in serving}) >= 2, tasks)

        poll_until(
            recovered,
            timeout=RECOVERY_SECONDS[stack.platform_name],
            interval=1.0,
            what=f"{stack.state}'s task count to come back after stopping {victim.id}",
        )
        time.sleep(1)  # and keep serving once the new task takes traffic
    finally:
        load.stop.set()
        worker.join(timeout=15)

    assert load.ok >= MIN_REQUESTS, f"the load barely ran ({load.ok} requests): the count proves nothing"
    assert len(load.failed) <= MAX_FAILED_REQUESTS, f"{len(load.failed)} failed of {load.ok}: {load.failed}"
    print(f"\nfailover on {stack.platform_name}: {load.ok} ok, {len(load.failed)} failed {load.failed}")

    # No data lost: the record, its item and its object are all still there, through either task.
    clients = stack.platform.data_clients(stack.state)
    key = {appsrc.schema().HASH_KEY: {"S": record["id"]}}
    assert "Item" in clients.dynamodb.get_item(TableName=stack.status.table, Key=key, ConsistentRead=True)
    assert clients.s3.get_object(Bucket=stack.status.bucket, Key=record["document"])["Body"].read() == pdf
    for _ in range(4):
        assert stack.http.get(load.url, timeout=10).status_code == 200
    assert stack.http.delete(load.url, timeout=15).status_code == 204


@pytest.mark.humangov_platforms(
    "local",
    reason="Docker's restart policy is the local platform's; on ECS a crashed essential container stops "
    "its task, which the stop-a-task test covers",
)
def test_a_crashed_app_comes_back_inside_its_task_by_itself(stack: LiveStack) -> None:
    import docker

    client = docker.from_env()
    task = next(t for t in stack.refresh().tasks if t.status == "RUNNING" and t.healthy)
    labels = [f"humangov.state={stack.state}", f"humangov.task={task.id}", "humangov.role=app"]
    (app,) = client.containers.list(filters={"label": labels})
    restarts = int(app.attrs["RestartCount"])
    # The app exits on its own (SIGINT to gunicorn from inside), as a crash would: not a `docker stop`.
    app.exec_run(["python3", "-c", "import os, signal; os.kill(1, signal.SIGINT)"])

    def restarted() -> Poll[str]:
        app.reload()
        return Poll(int(app.attrs["RestartCount"]) > restarts and app.status == "running", app.status)

    poll_until(restarted, timeout=60, interval=0.5, what="the crashed app to be restarted by Docker")
    health = stack.platform.lb_health  # type: ignore[attr-defined]  # the local platform's own view

    # The restart can beat the LB's checks (1 s apart, out after 2 failures): the LB may mark the task
    # down only after it already runs again. So wait until every target stays up longer than that.
    settled = 3.0
    up_since: list[float] = []

    def serving() -> Poll[dict[str, bool]]:
        slots = health(stack.state)
        if not (slots and all(slots.values())):
            up_since.clear()
        elif not up_since:
            up_since.append(time.monotonic())
        return Poll(bool(up_since) and time.monotonic() - up_since[0] >= settled, slots)

    poll_until(serving, timeout=60, interval=0.5, what="the restarted app to be healthy behind the LB")
    after = {t.id: t for t in stack.refresh().tasks}
    assert task.id in after and after[task.id].healthy, f"the task was replaced, not restarted: {after}"
