"""An HTTP session that trusts what a state's load balancer presents, for the harness and the bench.

On AWS the certificate comes from ACM and chains to a public CA: requests' own bundle checks it. On the
local platform it comes from the machine's own CA (platforms/local_ca.py), whose PEM `status` reports
as `ca_bundle`: the session checks the certificate against that CA, never switching verification off.
"""

from __future__ import annotations

import requests

from humangov_deploy.platforms.base import StackStatus


def session_for(status: StackStatus) -> requests.Session:
    session = requests.Session()
    if status.ca_bundle:
        session.verify = status.ca_bundle
    return session
