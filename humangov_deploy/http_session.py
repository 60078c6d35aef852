"""An HTTP session that trusts what a state's load balancer presents, for the harness and the bench.

On AWS the certificate comes from ACM and chains to a public CA: requests' own bundle checks it. On the
local platform it comes from the machine's own CA (platforms/local/ca.py), whose PEM `status` reports
as `ca_bundle`: the session checks the certificate against that CA, never switching verification off.
"""

from __future__ import annotations

from typing import Any

import requests

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
    return ca_session(status.ca_bundle)
