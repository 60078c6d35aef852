"""The images' configuration agrees with itself, with the app and with what the library tells ECS."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
from pathlib import Path

import pytest

from humangov_deploy.appsrc import APP_DIR, NGINX_DIR
from humangov_deploy.build import images

NGINX_CONF = (NGINX_DIR / "nginx.conf").read_text()
PROXY_PARAMS = (NGINX_DIR / "proxy_params").read_text()
ENTRYPOINT = NGINX_DIR / "entrypoint.sh"


def _dockerfile(directory: Path) -> str:
    return (directory / "Dockerfile").read_text()


@pytest.mark.parametrize(("name", "directory"), [("app", APP_DIR), ("nginx", NGINX_DIR)])
def test_dockerfile_defaults_are_the_official_bases(name: str, directory: Path) -> None:
    match = re.search(r"^ARG BASE_IMAGE=(\S+)$", _dockerfile(directory), re.M)
    assert match and match.group(1) == images.OFFICIAL_BASES[name]
    assert ":" in match.group(1) and not match.group(1).endswith(":latest")  # pinned


@pytest.mark.parametrize(
    ("directory", "port", "stop_signal"),
    [(APP_DIR, images.APP_PORT, "SIGTERM"), (NGINX_DIR, images.NGINX_PORT, "SIGQUIT")],
)
def test_dockerfile_contract(directory: Path, port: int, stop_signal: str) -> None:
    text = _dockerfile(directory)
    assert f"\nEXPOSE {port}\n" in text
    assert f"\nUSER {images.IMAGE_USER}\n" in text
    assert f"\nSTOPSIGNAL {stop_signal}\n" in text
    assert f'CMD ["{images.HEALTHCHECK_COMMAND[0]}"]' in text
    # Labels after every layer, so a new revision never invalidates a cached layer.
    last_layer = max(text.rfind("\nRUN "), text.rfind("\nCOPY "))
    assert text.rfind("\nLABEL ") > last_layer
    for label in ("version", "revision"):
        assert f"org.opencontainers.image.{label}=" in text


def test_gunicorn_serves_the_port_nginx_proxies_to_and_stops_in_time() -> None:
    conf = runpy.run_path(str(APP_DIR / "gunicorn.conf.py"))
    assert conf["bind"].endswith(f":{images.APP_PORT}")
    assert f"server 127.0.0.1:{images.APP_PORT};" in NGINX_CONF
    assert f"listen {images.NGINX_PORT} default_server;" in NGINX_CONF
    assert conf["graceful_timeout"] < images.STOP_TIMEOUT_SECONDS
    assert conf["worker_class"] == "gthread" and conf["workers"] * conf["threads"] >= 4
    assert conf["accesslog"] is None  # nginx logs each request once


def test_nginx_hardening_and_proxy_params() -> None:
    assert "server_tokens off;" in NGINX_CONF
    assert "access_log /dev/stdout" in NGINX_CONF
    for header in ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy"):
        assert re.search(rf'add_header {header} "[^"]+" always;', NGINX_CONF), header
    csp = re.search(r'Content-Security-Policy "([^"]+)"', NGINX_CONF)
    assert csp and "default-src 'self'" in csp.group(1) and "unsafe-inline" not in csp.group(1)
    # add_header inside a location would silently drop the server's headers there.
    server = NGINX_CONF[NGINX_CONF.index("server {") :]
    for block in re.findall(r"location [^{]+\{([^}]*)\}", server):
        assert "add_header" not in block
    for header in ("Host", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto"):
        assert f"proxy_set_header {header} " in PROXY_PARAMS
    assert re.search(r"location = /healthz \{[^}]*proxy_pass", NGINX_CONF)
    # Every path nginx writes is in the directory the image gives the non-root user.
    for path in re.findall(r"(?:_temp_path|pid) (\S+);", NGINX_CONF):
        assert path.startswith("/run/nginx/"), path


def _render(tmp_path: Path, value: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HUMANGOV_NGINX_RUN_DIR": str(tmp_path)}
    if value is not None:
        env["MAX_UPLOAD_MB"] = value
    return subprocess.run(
        ["sh", str(ENTRYPOINT), "true"], env=env, capture_output=True, text=True, check=False, timeout=30
    )


def _limit_kb(tmp_path: Path) -> int:
    match = re.fullmatch(r"client_max_body_size (\d+)k;\n", (tmp_path / "limits.conf").read_text())
    assert match
    return int(match.group(1))


def test_upload_limit_agrees_with_the_apps(tmp_path: Path) -> None:
    from humangov import config, factory

    def app_limit(value: str | None) -> int:
        env = {} if value is None else {"MAX_UPLOAD_MB": value}
        return config._max_upload_mb(env) * 1024 * 1024 + factory.FORM_OVERHEAD_BYTES

    for value in (None, "", "1", "010", "25", str(config.MAX_MAX_UPLOAD_MB)):
        assert _render(tmp_path, value).returncode == 0, value
        # nginx admits exactly what the app's MAX_CONTENT_LENGTH admits; the app's own check is finer.
        assert _limit_kb(tmp_path) * 1024 == app_limit(value), value


@pytest.mark.parametrize("value", ["0", "abc", "1.5", "-3", "101"])
def test_a_limit_the_app_would_refuse_stops_nginx_too(tmp_path: Path, value: str) -> None:
    result = _render(tmp_path, value)
    assert result.returncode == 64
    assert "MAX_UPLOAD_MB" in result.stderr
    assert not (tmp_path / "limits.conf").exists()


def test_the_dockerignore_files_keep_tests_and_secrets_out(tmp_path: Path) -> None:
    app_files = images.context_files(APP_DIR)
    assert "requirements.txt" in app_files and "humangov/__init__.py" in app_files
    assert not [f for f in app_files if "__pycache__" in f or f.endswith(".pyc") or "/tests/" in f]
    assert set(images.context_files(NGINX_DIR)) == {
        ".dockerignore",
        "Dockerfile",
        "nginx.conf",
        "proxy_params",
        "entrypoint.sh",
        "healthcheck.sh",
    }
