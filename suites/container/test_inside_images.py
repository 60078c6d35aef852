"""testinfra inside the running task: users, ports, nginx's configuration, and what must not be there."""

from __future__ import annotations

import re
from typing import Any

import pytest
import testinfra
from container_kit import MOTO_PORT, Task, listening

from humangov_deploy.appsrc import NGINX_DIR
from humangov_deploy.build import images

UID = int(images.IMAGE_USER.split(":")[0])


def _host(task: Task, role: str, user: str | None = None) -> Any:
    container = task.container(role)
    return testinfra.get_host(f"docker://{user + '@' if user else ''}{container.id}")


def _process_uids(host: Any) -> dict[str, set[int]]:
    """{process name: real/effective uids} of every process in the container, from /proc."""
    out = host.check_output("grep -H -E '^(Name|Uid):' /proc/[0-9]*/status")
    by_pid: dict[str, dict[str, str]] = {}
    for line in out.splitlines():
        path, key, value = line.split(":", 2)
        by_pid.setdefault(path, {})[key] = value.strip()
    return {
        info["Name"]: {int(u) for u in info["Uid"].split()}
        for info in by_pid.values()
        if "Name" in info and info["Name"] != "grep"
    }


@pytest.mark.parametrize("role", ["app", "nginx"])
def test_every_process_runs_as_the_image_user(task: Task, role: str) -> None:
    host = _host(task, role)
    assert host.user().uid == UID and host.user().name == "humangov"
    uids = _process_uids(host)
    expected = "gunicorn" if role == "app" else "nginx"
    assert expected in uids, uids
    assert all(found == {UID} for found in uids.values()), uids


def test_ports_of_the_task(task: Task) -> None:
    # One network namespace for the whole task: every container sees the same sockets.
    table = _host(task, "nginx").file("/proc/net/tcp").content_string
    ports = listening(table)
    assert ports.get(images.NGINX_PORT) == UID
    assert ports.get(images.APP_PORT) == UID
    assert MOTO_PORT in ports
    assert not [p for p in ports if p < 1024], ports  # nothing privileged, nothing as root


def test_nginx_configuration_is_valid_and_in_place(task: Task) -> None:
    host = _host(task, "nginx")
    check = host.run("nginx -t")
    assert check.rc == 0, check.stderr
    assert "syntax is ok" in check.stderr
    for name in ("nginx.conf", "proxy_params"):
        installed = host.file(f"/etc/nginx/{name}")
        assert installed.content_string == (NGINX_DIR / name).read_text()
        assert installed.user == "root" and not installed.mode & 0o022  # the nginx user cannot change it
    dump = host.check_output("nginx -T 2>/dev/null")
    # Rendered at start from the task's MAX_UPLOAD_MB (1): 1 MiB plus the app's 64 KiB of form room.
    assert re.search(r"client_max_body_size 1088k;", dump)
    assert not host.file("/etc/nginx/conf.d").exists and not host.file("/etc/nginx/sites-enabled").exists


def test_app_code_is_read_only_to_the_app(task: Task) -> None:
    host = _host(task, "app")
    code = host.file("/app/humangov/__init__.py")
    assert code.exists and code.user == "root" and not code.mode & 0o022
    assert host.run("touch /app/humangov/x").rc != 0
    assert sorted(host.file("/app").listdir()) == ["gunicorn.conf.py", "humangov"]


@pytest.mark.parametrize("role", ["app", "nginx"])
def test_no_compilers_history_caches_or_credentials(task: Task, role: str) -> None:
    host = _host(task, role, user="root")
    for tool in ("gcc", "cc", "c++", "make", "clang", "pip", "pip3", "apt-get", "curl", "wget"):
        if role == "nginx" and tool == "apt-get":
            continue  # the official nginx base keeps apt; the local one has none (checked below)
        assert not host.exists(tool), tool
    suspicious = host.check_output(
        "find / -xdev \\( -name '.*_history' -o -name '.aws' -o -name '.env' -o -name 'id_rsa*' "
        "-o -name '*.pem' -path '/root/*' -o -path '/root/.cache' -o -name 'wheelhouse' -o -path '/build' "
        "-o -name 'tests' -path '/app/*' -o -name '.git' \\) -print 2>/dev/null || true"
    )
    assert suspicious.strip() == "", suspicious
    assert not host.file("/root/.cache/pip").exists
    assert (
        host.check_output("find /var/lib/apt/lists /var/cache/apt -type f ! -name lock 2>/dev/null || true")
        == ""
    )
    # No secret baked into the image's configuration (GPG_KEY of the official Python base is a key id).
    env = task.container(role).image.attrs["Config"].get("Env") or []
    names = [e.split("=", 1)[0] for e in env]
    assert not [n for n in names if re.search(r"SECRET|PASSWORD|TOKEN|ACCESS_KEY", n)], names


@pytest.mark.parametrize("role", ["app", "nginx"])
def test_oci_labels_name_version_and_revision(task: Task, role: str) -> None:
    labels = task.container(role).image.attrs["Config"]["Labels"]
    (ref,) = [t for t in task.container(role).image.tags if t.startswith(f"humangov-{role}:")]
    assert labels["org.opencontainers.image.title"] == f"humangov-{role}"
    assert labels["org.opencontainers.image.version"]
    revision = labels["org.opencontainers.image.revision"]
    assert revision != "unknown" and ref.split(":", 1)[1].startswith(revision)


def test_health_checks_report_healthy(task: Task) -> None:
    for role in ("app", "nginx"):
        result = task.container(role).exec_run(list(images.HEALTHCHECK_COMMAND))
        assert result.exit_code == 0, result.output
