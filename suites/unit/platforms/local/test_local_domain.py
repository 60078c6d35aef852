"""`deploy --domain NAME` on the local platform: the CA issues a certificate that names NAME, the URL is
https://NAME:<port> (remembered on the LB, so `status` without --domain still says it), and the harness's
session connects to 127.0.0.1 while TLS and HTTP use NAME: a real TLS handshake on loopback checks it."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from moto import mock_aws
from test_local import make_platform, quiet
from test_local_fakedocker import FakeDocker

from humangov_deploy.cli import main
from humangov_deploy.errors import ConfigError
from humangov_deploy.http_session import session_for
from humangov_deploy.platforms.base import StackStatus
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local.ca import LocalCA, leaf_names
from humangov_deploy.platforms.local.lb import LABEL_DOMAIN

NAMES = spec.LocalNames("utah")
DOMAIN = "utah.humangov.localhost"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_the_lb_serves_a_certificate_for_the_domain_and_status_names_it(aws: None, tmp_path: Path) -> None:
    engine, ca = FakeDocker(), LocalCA(tmp_path / "ca")
    status = make_platform(engine, ca=ca, domain=DOMAIN).deploy("utah", timeout=60, progress=quiet)
    lb = engine.by_name[NAMES.lb]
    cert = x509.load_pem_x509_certificate(lb.files[spec.LB_CERT_PATH].encode())
    assert DOMAIN in leaf_names(cert) and "127.0.0.1" in leaf_names(cert)
    https_port = lb.ports[f"{spec.LB_HTTPS_PORT}/tcp"]
    assert status.url == f"https://{DOMAIN}:{https_port}" and status.address == "127.0.0.1"
    # Remembered with the deployment: a platform that was not told the domain reports it too.
    again = make_platform(engine, ca=ca).status("utah")
    assert again.url == status.url and again.address == "127.0.0.1"
    assert lb.labels[LABEL_DOMAIN] == DOMAIN


def test_state_placeholder_and_a_redeploy_without_domain_returns_to_127(aws: None, tmp_path: Path) -> None:
    engine, ca = FakeDocker(), LocalCA(tmp_path / "ca")
    named = make_platform(engine, ca=ca, domain="{state}.hr.localhost").deploy(
        "utah", timeout=60, progress=quiet
    )
    assert named.url is not None and named.url.startswith("https://utah.hr.localhost:")
    plain = make_platform(engine, ca=ca).deploy("utah", timeout=60, progress=quiet)
    assert plain.url is not None and plain.url.startswith("https://127.0.0.1:") and plain.address is None


@pytest.mark.parametrize("domain", ["utah.example.gov", "localhost.evil.com", "-bad-.localhost", "utah"])
def test_a_name_the_local_ca_may_not_vouch_for_is_refused_before_anything_runs(
    tmp_path: Path, domain: str
) -> None:
    engine = FakeDocker()
    with pytest.raises(ConfigError, match="--domain"):
        make_platform(engine, ca=LocalCA(tmp_path / "ca"), domain=domain).deploy(
            "utah", timeout=60, progress=quiet
        )
    assert not engine.by_name and not engine.nets


def test_hosted_zone_is_refused_on_local() -> None:
    from humangov_deploy.platforms.local import from_options

    with pytest.raises(ConfigError, match="--hosted-zone-id is for the aws platform"):
        from_options(domain=DOMAIN, hosted_zone_id="Z0123456789ABC")


def test_status_json_carries_the_domain_url_and_address(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    engine = FakeDocker()
    make_platform(engine, ca=LocalCA(tmp_path / "ca"), domain=DOMAIN).deploy(
        "utah", timeout=60, progress=quiet
    )
    monkeypatch.setattr(
        "humangov_deploy.platforms.local.from_options",
        lambda **_: make_platform(engine, ca=LocalCA(tmp_path / "ca")),
    )
    assert main(["status", "--state", "utah", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["url"].startswith(f"https://{DOMAIN}:") and document["address"] == "127.0.0.1"


# --- the name check itself, over a real TLS connection on loopback ------------------------------------


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"host": self.headers["Host"]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, LocalCA]]:
    """An HTTPS server on 127.0.0.1 with the local CA's certificate for DOMAIN."""
    ca = LocalCA(tmp_path / "ca")
    leaf = ca.leaf(DOMAIN)
    pem = tmp_path / "leaf.pem"
    pem.write_text(leaf.pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], ca
    finally:
        server.shutdown()
        server.server_close()


def test_the_session_connects_to_the_address_and_checks_the_certificate_against_the_name(
    tls_server: tuple[int, LocalCA],
) -> None:
    port, ca = tls_server
    status = StackStatus(
        "utah", "local", url=f"https://{DOMAIN}:{port}", address="127.0.0.1", ca_bundle=str(ca.ca_bundle)
    )
    response = session_for(status).get(f"{status.url}/", timeout=5)
    assert response.status_code == 200 and response.json() == {"host": f"{DOMAIN}:{port}"}


def test_a_certificate_that_does_not_name_the_domain_fails_the_check(tls_server: tuple[int, LocalCA]) -> None:
    port, ca = tls_server
    other = "texas.humangov.localhost"  # same CA, same address: only the name differs
    status = StackStatus(
        "texas", "local", url=f"https://{other}:{port}", address="127.0.0.1", ca_bundle=str(ca.ca_bundle)
    )
    with pytest.raises(requests.exceptions.SSLError, match=r"(?i)hostname|match"):
        session_for(status).get(f"{status.url}/", timeout=5)


def test_without_an_address_the_session_does_not_redirect_connections(
    tls_server: tuple[int, LocalCA],
) -> None:
    port, ca = tls_server
    session = session_for(
        StackStatus("utah", "local", url=f"https://{DOMAIN}:{port}", ca_bundle=str(ca.ca_bundle))
    )
    assert type(session.get_adapter(f"https://{DOMAIN}:{port}/")) is requests.adapters.HTTPAdapter
