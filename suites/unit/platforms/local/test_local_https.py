"""HTTPS on the local platform, on the fake Docker engine: the LB gets the CA's certificate and a stable
HTTPS port, `status` reports the https URL, the CA bundle and the listeners, and a redeploy converges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.errors import APIError
from moto import mock_aws
from test_local import IMAGES, make_platform, quiet
from test_local_fakedocker import FakeContainer, FakeDocker

from humangov_deploy.cli import main
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local.ca import LocalCA
from humangov_deploy.platforms.local.lb import ensure_lb

NAMES = spec.LocalNames("utah")


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def engine() -> FakeDocker:
    return FakeDocker()


def lb_of(engine: FakeDocker) -> FakeContainer:
    return engine.by_name[NAMES.lb]


def test_the_lb_serves_the_cas_certificate_on_its_https_port(
    aws: None, engine: FakeDocker, tmp_path: Path
) -> None:
    ca = LocalCA(tmp_path / "ca")
    status = make_platform(engine, ca=ca).deploy("utah", timeout=60, progress=quiet)
    lb, leaf = lb_of(engine), ca.leaf()
    assert lb.files[spec.LB_CERT_PATH] == leaf.pem
    https_port = lb.ports[f"{spec.LB_HTTPS_PORT}/tcp"]
    assert lb.options["ports"][f"{spec.LB_HTTPS_PORT}/tcp"] == ("127.0.0.1", https_port)
    assert f"redirect prefix https://127.0.0.1:{https_port} code 301" in lb.files[spec.LB_CONFIG_PATH]
    assert status.url == f"https://127.0.0.1:{https_port}"
    assert status.ca_bundle == str(tmp_path / "ca" / "ca.pem")
    http_port = lb.ports[f"{spec.LB_PORT}/tcp"]
    assert [(x.protocol, x.port, x.action) for x in status.listeners] == [
        ("HTTPS", https_port, "forward"),
        ("HTTP", http_port, "redirect"),
    ]
    assert status.listeners[0].certificate == leaf.fingerprint and not status.warnings


def test_status_json_has_the_https_url_and_the_ca_bundle(
    aws: None, engine: FakeDocker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("HUMANGOV_CACHE_DIR", str(tmp_path / "cache"))
    make_platform(engine, ca=LocalCA()).deploy("utah", timeout=60, progress=quiet)
    monkeypatch.setattr("humangov_deploy.platforms.local.from_options", lambda **_: make_platform(engine))
    assert main(["status", "--state", "utah", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["url"].startswith("https://127.0.0.1:")
    assert document["ca_bundle"] == str(tmp_path / "cache" / "ca" / "ca.pem")
    assert Path(document["ca_bundle"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    listeners = {x["protocol"]: x["action"] for x in document["listeners"]}
    assert listeners == {"HTTPS": "forward", "HTTP": "redirect"}


def test_a_redeploy_keeps_the_lb_and_its_url(aws: None, engine: FakeDocker, tmp_path: Path) -> None:
    ca = LocalCA(tmp_path / "ca")
    first = make_platform(engine, ca=ca).deploy("utah", timeout=60, progress=quiet)
    lb_id = lb_of(engine).id
    again = make_platform(engine, ca=ca).deploy("utah", timeout=60, progress=quiet)
    assert lb_of(engine).id == lb_id and again.url == first.url


def test_a_renewed_certificate_replaces_the_lb_on_the_same_ports(
    aws: None, engine: FakeDocker, tmp_path: Path
) -> None:
    ca = LocalCA(tmp_path / "ca")
    first = make_platform(engine, ca=ca).deploy("utah", timeout=60, progress=quiet)
    ports = dict(lb_of(engine).ports)
    (tmp_path / "ca" / "lb.pem").unlink()  # as if it came close to its end: the next deploy re-issues it
    again = make_platform(engine, ca=ca).deploy("utah", timeout=60, progress=quiet)
    assert lb_of(engine).files[spec.LB_CERT_PATH] == ca.leaf().pem != ""
    assert lb_of(engine).ports == ports and again.url == first.url


def test_an_lb_from_before_https_is_reported_and_upgraded_keeping_its_http_port(
    aws: None, engine: FakeDocker, tmp_path: Path
) -> None:
    platform = make_platform(engine, ca=LocalCA(tmp_path / "ca"))
    platform.deploy("utah", timeout=60, progress=quiet)
    old = lb_of(engine)
    http_port = old.ports[f"{spec.LB_PORT}/tcp"]
    # What an earlier version made: plain HTTP only.
    old.remove()
    ensure_lb(engine, NAMES, IMAGES.lb, dict(old.labels), 2, quiet)
    lb_of(engine).ports[f"{spec.LB_PORT}/tcp"] = http_port
    before = platform.status("utah")
    assert before.url == f"http://127.0.0.1:{http_port}" and before.ca_bundle is None
    assert before.warnings == [
        "utah is served over plain HTTP (a load balancer from before HTTPS): "
        "`humangov deploy --state utah` again to serve HTTPS"
    ]
    after = platform.deploy("utah", timeout=60, progress=quiet)
    assert after.url and after.url.startswith("https://") and not after.warnings
    assert lb_of(engine).ports[f"{spec.LB_PORT}/tcp"] == http_port  # old links now redirect


def test_an_https_port_taken_meanwhile_is_picked_again(
    aws: None, engine: FakeDocker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picks = iter([41001, 41002])
    monkeypatch.setattr("humangov_deploy.platforms.local.lb.free_loopback_port", lambda: next(picks))
    original = FakeContainer.start

    def start(self: FakeContainer) -> None:
        if self.name == NAMES.lb and self.options["ports"][f"{spec.LB_HTTPS_PORT}/tcp"][1] == 41001:
            raise APIError("Bind for 127.0.0.1:41001 failed: port is already allocated")
        original(self)

    monkeypatch.setattr(FakeContainer, "start", start)
    status = make_platform(engine, ca=LocalCA(tmp_path / "ca")).deploy("utah", timeout=60, progress=quiet)
    assert status.url == "https://127.0.0.1:41002"
    assert "redirect prefix https://127.0.0.1:41002 " in lb_of(engine).files[spec.LB_CONFIG_PATH]
