"""An HTTP session that trusts what a state's load balancer presents, for the harness and the bench.

On AWS the certificate comes from ACM and chains to a public CA: requests' own bundle checks it. On the
local platform it comes from the machine's own CA (platforms/local/ca.py), whose PEM `status` reports
as `ca_bundle`: the session checks the certificate against that CA, never switching verification off.

A state served under its own domain (`deploy --domain NAME`) has the URL `https://NAME`, and its
certificate names NAME, never the load balancer's own address. DNS may not name it yet (no Route 53
record, or the local platform's `*.localhost` names), so `StackStatus.address` says where to connect:
the session opens its TCP connections to that address while TLS (SNI, the certificate's name check) and
HTTP (the Host header) still use NAME, like curl's `--connect-to`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from humangov_deploy.platforms.base import StackStatus


class _CaSession(requests.Session):
    """A session whose `verify` (a CA bundle) holds even when REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is set.

    requests lets those variables replace a session's own `verify` on every request (its per-request
    environment merge wins over the session's setting), which would check the local CA's certificate
    against the system's store and fail. A `verify=` given to one request still wins.
    """

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        settings: dict[str, Any] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None or verify is True:
            settings["verify"] = self.verify
        return settings


def ca_session(ca_bundle: str | None) -> requests.Session:
    """A session checking certificates against `ca_bundle`, or requests' usual trust when None."""
    if not ca_bundle:
        return requests.Session()
    session = _CaSession()
    session.verify = ca_bundle
    return session


def session_for(status: StackStatus) -> requests.Session:
    session = ca_session(status.ca_bundle)
    if status.address and status.url:
        connect_to(session, status.url, status.address)
    return session


def connect_to(session: requests.Session, url: str, address: str) -> None:
    """Requests to `url`'s scheme, host and port connect to `address` (same port); names stay the URL's."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    # requests picks an adapter by URL prefix: ending it with "/" keeps NAME.example (or NAME:other-port)
    # on the ordinary adapter.
    session.mount(f"{parts.scheme}://{parts.netloc}/", _ConnectTo(address))


def _connection(base: type[HTTPConnection], address: str) -> type[HTTPConnection]:
    class Connection(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> Any:
            # Only the TCP connect goes to `address`; `self.host` (SNI, the certificate's name check,
            # the Host header) is the URL's name again as soon as the socket exists.
            name: str = self._dns_host  # type: ignore[has-type]
            self._dns_host = address
            try:
                return super()._new_conn()
            finally:
                self._dns_host = name

    return Connection


class _ConnectTo(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        https = type(
            "Pool", (HTTPSConnectionPool,), {"ConnectionCls": _connection(HTTPSConnection, self.address)}
        )
        http = type(
            "Pool", (HTTPConnectionPool,), {"ConnectionCls": _connection(HTTPConnection, self.address)}
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}
