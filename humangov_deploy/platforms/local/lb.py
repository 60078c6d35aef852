"""The state's load balancer on Docker: HAProxy on both zone networks, published on 127.0.0.1.

It is the local ALB: its URL is the state's URL, its stats page says which tasks are healthy. With a
certificate (the local CA's, platforms/local/ca.py) it serves HTTPS and its HTTP port redirects there.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import requests

from humangov_deploy.errors import DeploymentFailed
from humangov_deploy.platforms.base import ListenerInfo, StackStatus
from humangov_deploy.platforms.local import engine as dock
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local.ca import LeafCertificate

Progress = Callable[[str], None]
HTTP_TIMEOUT = 2.0
# The domain the LB's certificate names (`deploy --domain`): the state's URL is https://DOMAIN:<port>.
LABEL_DOMAIN = "humangov.domain"
LOOPBACK = "127.0.0.1"
# A free loopback port picked for HTTPS can be taken by someone else before Docker binds it: try again.
PORT_ATTEMPTS = 3


def find_lb(client: Any, state: str) -> Any | None:
    found = dock.list_containers(client, state, **{spec.LABEL_ROLE: "lb"})
    return found[0] if found else None


def ensure_lb(
    client: Any,
    names: spec.LocalNames,
    image: str,
    labels: dict[str, str],
    task_count: int,
    progress: Progress,
    certificate: LeafCertificate | None = None,
) -> None:
    """The LB for `task_count` slots; an existing one with the same image, config and certificate is left
    alone. With a certificate it serves HTTPS on a host port chosen here (the HTTP redirect names it), kept
    across reconfigurations like the other ports, so the state's URL does not change."""
    current = find_lb(client, names.state)
    kept = {port: published_port(current, port) for port in _ports(certificate)} if current else {}
    for attempt in range(1, PORT_ATTEMPTS + 1):
        https_port = (kept.get(spec.LB_HTTPS_PORT) or free_loopback_port()) if certificate else None
        config = spec.lb_config(task_count, https_port)
        # The certificate's fingerprint, never its key: a renewed certificate replaces the LB.
        fingerprint = spec.fingerprint(image, config, certificate.fingerprint if certificate else None)
        if current is not None:
            if dock.labels_of(current).get(spec.LABEL_SPEC) == fingerprint:
                if current.status != "running":
                    progress(f"starting load balancer {names.lb}")
                    current.start()
                return
            progress(f"load balancer {names.lb} changed: replacing it")
            dock.remove_container(current, timeout=5)
            current = None
        ports = {f"{port}/tcp": ("127.0.0.1", kept.get(port)) for port in _ports(certificate)}
        if https_port is not None:
            ports[f"{spec.LB_HTTPS_PORT}/tcp"] = ("127.0.0.1", https_port)
        files = {spec.LB_CONFIG_PATH: config}
        if certificate is not None:
            files[spec.LB_CERT_PATH] = certificate.pem
        progress(f"starting load balancer {names.lb}")
        zone_a, *other_zones = (names.zone_network(z) for z in spec.ZONES)
        try:
            dock.run_container(
                client,
                name=names.lb,
                image=image,
                labels={
                    **labels,
                    spec.LABEL_ROLE: "lb",
                    spec.LABEL_SPEC: fingerprint,
                    **({spec.LABEL_CERTIFICATE: certificate.fingerprint} if certificate else {}),
                },
                network=zone_a,
                extra_networks=other_zones,
                files=files,
                ports=ports,
                restart_policy={"Name": "unless-stopped"},
            )
            return
        except DeploymentFailed as exc:
            taken = "already allocated" in str(exc) or "in use" in str(exc)
            if attempt == PORT_ATTEMPTS or not taken:
                raise
            progress(f"port {https_port} was taken meanwhile: trying another")
            leftover = find_lb(client, names.state)
            if leftover is not None:
                dock.remove_container(leftover, timeout=5)
            kept.pop(spec.LB_HTTPS_PORT, None)


def _ports(certificate: LeafCertificate | None) -> tuple[int, ...]:
    return (spec.LB_PORT, spec.LB_STATS_PORT) + ((spec.LB_HTTPS_PORT,) if certificate else ())


def free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel's pick), for the LB's HTTPS."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def published_port(container: Any, port: int) -> int | None:
    """The host port of the container's `port`: the running binding, else the one it was created with."""
    found = dock.host_port(container, port)
    if found:
        return found
    bindings = ((container.attrs.get("HostConfig") or {}).get("PortBindings") or {}).get(f"{port}/tcp") or []
    for binding in bindings:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


def lb_health(client: Any, http: Any, state: str) -> dict[str, bool]:
    """Which LB servers (slots) are UP, from HAProxy's stats; empty when the LB does not answer."""
    lb = find_lb(client, state)
    port = dock.host_port(lb, spec.LB_STATS_PORT) if lb is not None and lb.status == "running" else None
    if port is None:
        return {}
    try:
        response = http.get(f"http://127.0.0.1:{port}{spec.STATS_PATH};csv", timeout=HTTP_TIMEOUT)
    except requests.RequestException:
        return {}
    if response.status_code != 200:
        return {}
    return {name: server.healthy for name, server in spec.parse_stats_csv(response.text).items()}


def lb_listeners(lb: Any, result: StackStatus, ca_bundle: str) -> None:
    """The URL is the HTTPS one (the HTTP port redirects to it); an LB from before HTTPS: its HTTP one.

    With a domain the URL names it, and `address` says to connect to 127.0.0.1 (http_session.py), as
    `*.localhost` names need no DNS in a browser but do in most other clients.
    """
    http, https = published_port(lb, spec.LB_PORT), published_port(lb, spec.LB_HTTPS_PORT)
    labels = dock.labels_of(lb)
    if https:
        domain = labels.get(LABEL_DOMAIN)
        result.url = f"https://{domain or LOOPBACK}:{https}"
        result.address = LOOPBACK if domain else None
        result.ca_bundle = ca_bundle
        result.listeners.append(
            ListenerInfo(
                "HTTPS",
                https,
                "forward",
                tls_policy="TLSv1.2+",
                certificate=labels.get(spec.LABEL_CERTIFICATE),
            )
        )
    elif http:
        result.url = f"http://{LOOPBACK}:{http}"
        result.warnings.append(
            f"{result.state} is served over plain HTTP (a load balancer from before HTTPS): "
            f"`humangov deploy --state {result.state}` again to serve HTTPS"
        )
    if http:
        result.listeners.append(ListenerInfo("HTTP", http, "redirect" if https else "forward"))
