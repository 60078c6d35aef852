"""HTTPS end to end through the state's load balancer.

On the local platform: the URL is https, its certificate checks out against the CA `status` names (and
against nothing else), the HTTP port answers 301 to the same path on the https URL, responses carry HSTS,
and the session cookie is Secure. On aws the same holds when the state was deployed with a certificate.
With `--domain` (local): the URL names the domain and verify passes through it (the name check in CI).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from livekit import LiveStack

from humangov_deploy.http_session import session_for
from humangov_deploy.platforms import get_platform
from humangov_deploy.platforms.base import StackStatus
from humangov_deploy.verify import verify

TIMEOUT = 15


def http_listener(stack: LiveStack) -> str:
    """The plain HTTP address of the state's load balancer (its redirect)."""
    (listener,) = [x for x in stack.status.listeners if x.protocol == "HTTP"]
    assert listener.action == "redirect", stack.status.listeners
    host = urlsplit(stack.url).hostname
    return f"http://{host}:{listener.port}"


def require_https(stack: LiveStack) -> None:
    if not stack.url.startswith("https://"):
        pytest.skip(f"{stack.state} is served over plain HTTP (deployed without --certificate-arn)")


def test_the_url_is_https_and_its_certificate_checks_out(stack: LiveStack) -> None:
    if stack.platform_name == "local":
        assert stack.url.startswith("https://127.0.0.1:"), stack.url
        assert stack.status.ca_bundle, "the local platform names its CA"
        # Without the CA, the default trust store refuses it: the check is real.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{stack.url}/healthz", timeout=TIMEOUT)
    require_https(stack)
    assert stack.http.get(f"{stack.url}/healthz", timeout=TIMEOUT).status_code == 200


def test_http_answers_301_to_the_same_path_over_https(stack: LiveStack) -> None:
    require_https(stack)
    plain = http_listener(stack)
    response = requests.get(f"{plain}/records?page=2", allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{stack.url}/records?page=2"
    # A forged Host header cannot send the browser elsewhere.
    forged = requests.get(
        f"{plain}/", headers={"Host": "evil.example"}, allow_redirects=False, timeout=TIMEOUT
    )
    if stack.platform_name == "local":
        assert forged.headers["Location"] == f"{stack.url}/"


def test_https_responses_carry_hsts_and_a_secure_session_cookie(stack: LiveStack) -> None:
    require_https(stack)
    page = stack.http.get(f"{stack.url}/", timeout=TIMEOUT)
    assert page.status_code in (200, 302)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    # A page with a form sets the session (its CSRF token): the cookie must never travel over HTTP.
    session = stack.http
    form = session.get(f"{stack.url}/new_record", timeout=TIMEOUT, allow_redirects=True)
    assert form.status_code == 200
    cookies = [c for c in session.cookies if c.name == "session"]
    assert cookies, f"no session cookie set: {form.headers}"
    assert all(c.secure for c in cookies), "the session cookie lacks Secure"
    assert all(c.has_nonstandard_attr("HttpOnly") for c in cookies)


# --- a domain of the state's own (`deploy --domain`): the name check, run in CI on the local platform ----

DOMAIN = "{state}.humangov.localhost"  # the local CA certifies names under .localhost only
REDEPLOY_TIMEOUT = 180.0  # the same stack: only the load balancer is replaced (its certificate changes)


def test_a_deploy_with_domain_serves_and_verifies_under_that_name(stack: LiveStack) -> None:
    """Redeploy the suite's stack with --domain, verify through the name (SNI, Host, the certificate checked
    against it, connecting to 127.0.0.1), show a certificate for another name fails, then redeploy without
    it (the other tests' URL comes back on the same port)."""
    if stack.platform_name != "local":
        pytest.skip("on aws a domain needs a certificate for it (--certificate-arn): not in this suite")
    named = get_platform("local", region=stack.status.region, run_id=stack.run_id, domain=DOMAIN)
    plain = get_platform("local", region=stack.status.region, run_id=stack.run_id)
    domain = DOMAIN.format(state=stack.state)
    try:
        status = named.deploy(stack.state, timeout=REDEPLOY_TIMEOUT, progress=lambda _m: None)
        assert urlsplit(status.url or "").hostname == domain and status.address == "127.0.0.1", status
        # Remembered: the platform that was not told the domain (status, verify) uses it too.
        report = verify(plain, stack.state, progress=lambda _m: None)
        assert report.url == status.url and report.ok, str(report)
        # The same certificate does not name another state: the check is real.
        other = StackStatus(
            stack.state,
            "local",
            url=(status.url or "").replace(domain, "elsewhere.humangov.localhost"),
            address="127.0.0.1",
            ca_bundle=status.ca_bundle,
        )
        with pytest.raises(requests.exceptions.SSLError):
            session_for(other).get(f"{other.url}/healthz", timeout=TIMEOUT)
    finally:
        restored = plain.deploy(stack.state, timeout=REDEPLOY_TIMEOUT, progress=lambda _m: None)
        stack.refresh()
    assert restored.url == stack.url and restored.address is None
