"""A HumanGov task on the local Docker engine, started the way Fargate starts one.

Three containers share one network namespace (awsvpc): a test-only AWS stand-in (moto's server) that
holds the namespace like Fargate's pause container, the app (gunicorn on 8000) and nginx (8080). Only
127.0.0.1 ports of the host are published: nginx, moto (to check the table and bucket) and gunicorn
(to hold a request open inside the app for the graceful-stop test).
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

from humangov_deploy.build import baseimage, images
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.data.state import StateData
from humangov_deploy.users import UserAdmin
from humangov_deploy.waits import Poll, poll_until

HERE = Path(__file__).resolve().parent
AWS_SIDECAR_DIR = HERE / "aws_sidecar"
RUN_ID = secrets.token_hex(4)
PREFIX = f"hgc-{RUN_ID}"
LABEL = "humangov.test-run"
REGION = "us-east-1"
STATE = "california"
EDITOR = "container-editor"
EDITOR_PASSWORD = "container suite password"
MOTO_PORT = 5000
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
READY_SECONDS = 90.0
# The session's task runs with a small upload limit (1 MB), so both limits are tested with small files.
TASK_MAX_UPLOAD_MB = 1


def fake_session() -> boto3.session.Session:
    # The suite never reaches AWS: fixed fake credentials, whatever the shell exports.
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


def build_aws_sidecar(docker_client: Any, progress: Callable[[str], None]) -> str:
    """The test-only moto image, FROM the app's base (official if pulled, else local, its wheels cached)."""
    if images.available_base(docker_client) == "official":
        spec = images.ImageSpec("aws", "humangov-test-aws", AWS_SIDECAR_DIR)
    else:
        bases = baseimage.ensure_bases(["app"], docker_client=docker_client, progress=progress)
        wheelhouse = baseimage.ensure_wheelhouse(AWS_SIDECAR_DIR / "requirements.txt", progress=progress)
        spec = images.ImageSpec(
            "aws",
            "humangov-test-aws",
            AWS_SIDECAR_DIR,
            buildargs={"BASE_IMAGE": bases["app"], "WHEELHOUSE": "wheelhouse"},
            extra_dirs={"wheelhouse": wheelhouse},
        )
    prepared = images.prepare(spec, revision="test")
    if baseimage.image_exists(docker_client, prepared.tag):
        return prepared.tag
    return images.build_prepared(prepared, docker_client=docker_client, progress=progress)


@dataclass
class Task:
    name: str
    docker: Any
    containers: dict[str, Any] = field(default_factory=dict)
    ports: dict[int, str] = field(default_factory=dict)
    data: StateData | None = None
    token: str = ""  # an editor's API token, made at start (`auth` sends it)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def url(self) -> str:
        return f"http://{self.ports[images.NGINX_PORT]}"

    @property
    def app_address(self) -> tuple[str, int]:
        host, port = self.ports[images.APP_PORT].rsplit(":", 1)
        return host, int(port)

    @property
    def aws_url(self) -> str:
        return f"http://{self.ports[MOTO_PORT]}"

    def clients(self) -> AwsClients:
        return AwsClients(region=REGION, endpoint_url=self.aws_url, session=fake_session())

    def container(self, role: str) -> Any:
        return self.containers[role]

    def logs(self, role: str) -> str:
        return str(self.containers[role].logs().decode(errors="replace"))

    def remove(self) -> None:
        # Reverse order: the namespace holder goes last.
        for role in ("nginx", "app", "aws"):
            container = self.containers.get(role)
            if container is not None:
                # Already gone is fine: cleanup must not mask the test's own failure.
                with contextlib.suppress(Exception):
                    container.remove(force=True)


def start_task(
    docker_client: Any,
    image_set: images.ImageSet,
    aws_image: str,
    task: Task,
    *,
    max_upload_mb: int | None = None,
) -> Task:
    """Start aws, app and nginx into `task` (created and registered for cleanup by the caller)."""
    labels = {LABEL: RUN_ID}
    publish = {f"{p}/tcp": ("127.0.0.1", None) for p in (images.NGINX_PORT, images.APP_PORT, MOTO_PORT)}
    aws = docker_client.containers.run(
        aws_image, name=f"{PREFIX}-{task.name}-aws", detach=True, ports=publish, labels=labels
    )
    task.containers["aws"] = aws
    aws.reload()
    for port in (images.NGINX_PORT, images.APP_PORT, MOTO_PORT):
        binding = aws.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"][0]
        task.ports[port] = f"{binding['HostIp']}:{binding['HostPort']}"
    wait_http(f"{task.aws_url}/moto-api/data.json", what="moto server", task=task, role="aws")
    task.data = create_state_data(task.clients(), STATE)
    # Users live in the sidecar's moto, in the state's table, made as `humangov users` makes them.
    admin = UserAdmin(task.clients(), STATE, actor="container-suite")
    admin.add(EDITOR, "editor", password=EDITOR_PASSWORD)
    task.token = admin.create_token(EDITOR)[1]

    env: dict[str, str] = {
        "US_STATE": STATE,
        "AWS_REGION": REGION,
        "AWS_DYNAMODB_TABLE": task.data.table,
        "AWS_BUCKET": task.data.bucket,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SECRET_KEY": secrets.token_hex(24),
    }
    shared: Mapping[str, str] = {"MAX_UPLOAD_MB": str(max_upload_mb)} if max_upload_mb else {}
    netns = f"container:{aws.id}"
    task.containers["app"] = docker_client.containers.run(
        image_set.app,
        name=f"{PREFIX}-{task.name}-app",
        detach=True,
        network_mode=netns,
        environment={**env, **shared},
        labels=labels,
    )
    task.containers["nginx"] = docker_client.containers.run(
        image_set.nginx,
        name=f"{PREFIX}-{task.name}-nginx",
        detach=True,
        network_mode=netns,
        environment=dict(shared),
        labels=labels,
    )
    wait_http(f"{task.url}/healthz", what="the app through nginx", task=task, role="app")
    return task


def wait_http(url: str, *, what: str, task: Task, role: str, timeout: float = READY_SECONDS) -> None:
    """Poll until `url` answers 200; fail at once with the container's logs if it exited."""

    def check() -> Poll[str]:
        for name, container in task.containers.items():
            container.reload()
            if container.status == "exited":
                return Poll(False, "exited", fatal=f"{name} exited:\n{task.logs(name)[-3000:]}")
        try:
            status = requests.get(url, timeout=2).status_code
        except requests.RequestException as exc:
            return Poll(False, type(exc).__name__)
        return Poll(status == 200, f"HTTP {status}")

    poll_until(check, timeout=timeout, interval=0.25, what=what, hint=f"logs of {role}: see docker logs")


def wait_for_log(task: Task, role: str, pattern: str, timeout: float = 30.0) -> None:
    regex = re.compile(pattern)

    def check() -> Poll[str]:
        text = task.logs(role)
        return Poll(bool(regex.search(text)), text[-300:])

    poll_until(check, timeout=timeout, interval=0.1, what=f"{role} log line {pattern!r}")


def unread_bytes(task: Task, server_port: int) -> list[int]:
    """Unread bytes on each outside connection to `server_port` (/proc/net/tcp of the shared netns).

    Outside: not from 127.0.0.1 (health checks and nginx-to-app are local; the test's connection comes
    through Docker's port publishing). 0 means the server process has read what the client sent so far,
    so the request is in its hands: in flight.
    """
    text = task.container("aws").exec_run(["cat", "/proc/net/tcp"]).output.decode()
    unread: list[int] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_ip = fields[2].split(":")[0]
        if local_port == server_port and fields[3] == "01" and remote_ip != "0100007F":
            unread.append(int(fields[4].split(":")[1], 16))
    return unread


def listening(tcp_table: str) -> dict[int, int]:
    """{port: uid} of the listening TCP sockets in a /proc/net/tcp table."""
    found: dict[int, int] = {}
    for line in tcp_table.splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A":
            found[int(fields[1].split(":")[1], 16)] = int(fields[7])
    return found


def multipart_body(
    fields: Mapping[str, str], pdf: bytes, file_name: str = "contract.pdf"
) -> tuple[bytes, str]:
    """A multipart/form-data body built by hand, so a test can send it in pieces."""
    boundary = f"humangov{secrets.token_hex(8)}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="pdf"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + pdf
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
