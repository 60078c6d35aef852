"""What the local platform asks Docker for, as pure functions: names, labels, configs, health parsing.

Kept apart from the Docker calls (`engine.py`) so unit tests read every setting directly, and so a
redeploy can fingerprint the desired configuration of a task and leave an unchanged task alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass

# nginx listens on 8080 in the task (the images own that port), in front of the app on 127.0.0.1:8000.
from humangov_deploy.build.images import NGINX_PORT

PREFIX = "humangov"
MANAGED_BY = "humangov"

# Labels on every container, network and volume of a state; `destroy` and `sweep` find objects by them.
LABEL_STATE = "humangov.state"
LABEL_RUN_ID = "humangov.run-id"
LABEL_MANAGED_BY = "humangov.managed-by"
LABEL_CREATED_AT = "humangov.created-at"
# Per object: what it is (emulator, lb, task, app, nginx, network), and for a task's containers, which.
LABEL_ROLE = "humangov.role"
LABEL_TASK = "humangov.task"
LABEL_SLOT = "humangov.slot"
LABEL_AZ = "humangov.az"
# Fingerprint of the desired configuration (images, environment), so a redeploy can tell "unchanged".
LABEL_SPEC = "humangov.spec"
# The LB's certificate: its SHA-256 (public), shown by `status`.
LABEL_CERTIFICATE = "humangov.certificate"
# The state's SECRET_KEY, generated once and kept on the state's data network for the stack's lifetime,
# so a redeploy or a replacement task keeps every session and CSRF token valid.
LABEL_SECRET = "humangov.secret-key"

ZONES = ("zone-a", "zone-b")
DEFAULT_TASK_COUNT = 2

EMULATOR_PORT = 5000
# The LB's HTTP port (plain HTTP, or the redirect to HTTPS) and its HTTPS port, inside its container.
LB_PORT = 80
LB_HTTPS_PORT = 443
LB_STATS_PORT = 8404
HEALTH_PATH = "/healthz"
STATS_PATH = "/stats"
LB_CONFIG_PATH = "/usr/local/etc/haproxy/haproxy.cfg"
# The leaf certificate and its key (platforms/local/ca.py), copied in before the LB starts.
LB_CERT_PATH = "/usr/local/etc/haproxy/tls/lb.pem"
# Mozilla's "intermediate" TLS 1.2 ciphers (forward secrecy, AEAD only); TLS 1.3 suites are OpenSSL's own.
TLS12_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)
# The largest PDF, told to the app and to nginx alike (nginx sizes client_max_body_size from it).
MAX_UPLOAD_MB = "10"
# Local credentials for the emulator: moto accepts any, and boto3 must never look for real ones.
EMULATOR_ACCESS_KEY = "humangov-local"


@dataclass(frozen=True)
class LocalNames:
    """Docker names of one state's objects: every name carries the state, so states live side by side."""

    state: str

    @property
    def prefix(self) -> str:
        return f"{PREFIX}-{self.state}"

    @property
    def data_network(self) -> str:
        return f"{self.prefix}-data"

    def zone_network(self, zone: str) -> str:
        return f"{self.prefix}-{zone}"

    @property
    def networks(self) -> tuple[str, ...]:
        return (self.data_network, *(self.zone_network(z) for z in ZONES))

    @property
    def emulator(self) -> str:
        return f"{self.prefix}-emulator"

    @property
    def lb(self) -> str:
        return f"{self.prefix}-lb"

    def task(self, task_id: str) -> str:
        """The task's own container: it holds the network namespace that app and nginx join."""
        return f"{self.prefix}-task-{task_id}"

    def task_container(self, task_id: str, container: str) -> str:
        return f"{self.task(task_id)}-{container}"


def slot_alias(slot: int) -> str:
    """The name a task answers to on its zone network; the LB's server for that slot resolves it."""
    return f"task-{slot}"


def zone_of_slot(slot: int) -> str:
    """Slots alternate between the zones, as ECS spreads a service's tasks across Availability Zones."""
    return ZONES[(slot - 1) % len(ZONES)]


def base_labels(state: str, run_id: str, created_at: str, role: str, **extra: str) -> dict[str, str]:
    labels = {
        LABEL_STATE: state,
        LABEL_RUN_ID: run_id,
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_CREATED_AT: created_at,
        LABEL_ROLE: role,
    }
    labels.update(extra)
    return labels


def state_filter(state: str) -> dict[str, list[str]]:
    """Docker list filter for exactly one state's objects made by humangov."""
    return {"label": [f"{LABEL_STATE}={state}", f"{LABEL_MANAGED_BY}={MANAGED_BY}"]}


def app_environment(
    *, state: str, region: str, table: str, bucket: str, endpoint_url: str, secret_key: str
) -> dict[str, str]:
    """The app container's environment: the AWS task definition's variables, plus the emulator's."""
    return {
        "US_STATE": state,
        "AWS_REGION": region,
        "AWS_DYNAMODB_TABLE": table,
        "AWS_BUCKET": bucket,
        "SECRET_KEY": secret_key,
        "MAX_UPLOAD_MB": MAX_UPLOAD_MB,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": EMULATOR_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": EMULATOR_ACCESS_KEY,
    }


def fingerprint(*parts: object) -> str:
    """A short, stable hash of the desired configuration (json with sorted keys)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# HAProxy --------------------------------------------------------------------------------------------

# Docker's embedded DNS answers container names and aliases on user-defined networks. Re-resolving every
# second lets a replacement task (a new container, maybe a new address) take its slot without a reload.
_RESOLVERS = """\
resolvers docker
    nameserver dns 127.0.0.11:53
    resolve_retries 3
    timeout resolve 1s
    timeout retry 1s
    hold valid 1s
    hold other 1s
    hold refused 1s
    hold nx 1s
    hold timeout 1s
    hold obsolete 1s
"""


_SERVER_DEFAULTS = (
    "check inter 1s fastinter 1s downinter 1s fall 2 rise 1 resolvers docker init-addr last,libc,none"
)


def lb_config(task_count: int, https_port: int | None = None) -> str:
    """The state's load balancer: the local ALB, with the target group's fast health checks.

    A task is taken out after 2 failed checks 1 s apart and back after 1 good one; a request that cannot
    connect to a task that just went away is retried on another (redispatch), so a task stopping costs
    few or no failed requests. Writes are never retried after they reached a task.

    With `https_port` (the host port its HTTPS is published on) the LB terminates TLS 1.2+ with the local
    CA's certificate and its HTTP port answers every request with a 301 to the same path on
    `https://127.0.0.1:<https_port>`: a fixed host, never the request's Host header (no open redirect).
    Either way the LB sets X-Forwarded-Proto itself (a client's own is replaced): nginx sends HSTS and the
    app marks its session cookie Secure only when it says https.
    """
    servers = "\n".join(
        f"    server {slot_alias(slot)} {slot_alias(slot)}:{NGINX_PORT}" for slot in range(1, task_count + 1)
    )
    if https_port is None:
        tls_globals = ""
        frontends = f"""\
frontend http
    bind :{LB_PORT}
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    default_backend tasks
"""
    else:
        tls_globals = f"""\
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-bind-ciphers {TLS12_CIPHERS}
"""
        frontends = f"""\
frontend https
    bind :{LB_HTTPS_PORT} ssl crt {LB_CERT_PATH} alpn h2,http/1.1
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    default_backend tasks

frontend http
    bind :{LB_PORT}
    http-request redirect prefix https://127.0.0.1:{https_port} code 301
"""
    return f"""\
# Rendered by humangov_deploy/platforms/local/spec.py; do not edit in the container.
global
    log stdout format raw local0 info
    maxconn 4096
{tls_globals}
{_RESOLVERS}
defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout queue 10s
    retries 3
    option redispatch 1
    # A GET that met a task going away (refused, closed unanswered, timed out) is retried on another
    # task; any other method only when it never reached a task, so a write is never applied twice.
    retry-on all-retryable-errors

{frontends}
frontend stats
    bind :{LB_STATS_PORT}
    stats enable
    stats uri {STATS_PATH}
    stats show-legends

backend tasks
    balance roundrobin
    http-request disable-l7-retry if !METH_GET
    option httpchk
    http-check send meth GET uri {HEALTH_PATH} ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    # An answer slower than the 1 s interval (a task busy while a neighbour boots on a small machine) is
    # not a failed check; none within 3 s is. A task that is gone still fails at once (refused).
    timeout check 3s
    default-server {_SERVER_DEFAULTS}
{servers}
"""


def sidecar_config(listen_port: int, emulator_host: str) -> str:
    """The task container's config: it holds the task's network namespace and forwards the AWS endpoint.

    The app inside the task and a browser on the host must see the same endpoint URL, because the app
    presigns S3 URLs for the browser. So the task listens on 127.0.0.1:<the emulator's host port> and
    forwards to the emulator: `http://127.0.0.1:<port>` is the endpoint everywhere, as the public S3
    endpoint is on AWS.
    """
    return f"""\
# Rendered by humangov_deploy/platforms/local/spec.py; do not edit in the container.
global
    log stdout format raw local0 warning

{_RESOLVERS}
defaults
    mode tcp
    log global
    timeout connect 2s
    timeout client 120s
    timeout server 120s

listen aws
    bind 127.0.0.1:{listen_port}
    server emulator {emulator_host}:{EMULATOR_PORT} resolvers docker init-addr last,libc,none
"""


@dataclass(frozen=True)
class ServerHealth:
    """One server of the LB's `tasks` backend, as its stats page reports it."""

    name: str
    status: str  # UP, DOWN, MAINT, "UP 1/2" (going down), "DOWN 1/1" (coming up), ...
    check: str  # the last check's status, such as L7OK, L4CON, L7STS

    @property
    def healthy(self) -> bool:
        # "UP 1/2" still receives traffic but is failing its checks: not healthy for a deploy to end on.
        return self.status == "UP"


def parse_stats_csv(text: str, backend: str = "tasks") -> dict[str, ServerHealth]:
    """Servers of `backend` from HAProxy's `;csv` stats, by server name."""
    body = text.lstrip("# ")
    servers: dict[str, ServerHealth] = {}
    for row in csv.DictReader(io.StringIO(body)):
        if row.get("pxname") != backend or row.get("svname") in ("FRONTEND", "BACKEND"):
            continue
        name = row.get("svname") or ""
        servers[name] = ServerHealth(name, (row.get("status") or "").strip(), row.get("check_status") or "")
    return servers


def nginx_environment() -> dict[str, str]:
    return {"MAX_UPLOAD_MB": MAX_UPLOAD_MB}
