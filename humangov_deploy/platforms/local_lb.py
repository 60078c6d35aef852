"""The state's load balancer on Docker: HAProxy on both zone networks, published on 127.0.0.1.

It is the local ALB: its URL is the state's URL, its stats page says which tasks are healthy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from humangov_deploy.platforms import local_docker as dock
from humangov_deploy.platforms import local_spec as spec

Progress = Callable[[str], None]
HTTP_TIMEOUT = 2.0


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
) -> None:
    """The LB for `task_count` slots; an existing one with the same image and config is left alone."""
    config = spec.lb_config(task_count)
    fingerprint = spec.fingerprint(image, config)
    ports: dict[str, Any] = {
        f"{spec.LB_PORT}/tcp": ("127.0.0.1", None),
        f"{spec.LB_STATS_PORT}/tcp": ("127.0.0.1", None),
    }
    current = find_lb(client, names.state)
    if current is not None:
        if dock.labels_of(current).get(spec.LABEL_SPEC) == fingerprint:
            if current.status != "running":
                progress(f"starting load balancer {names.lb}")
                current.start()
            return
        # Keep the URL across a reconfiguration: the new LB publishes the same host ports.
        for port in (spec.LB_PORT, spec.LB_STATS_PORT):
            ports[f"{port}/tcp"] = ("127.0.0.1", dock.host_port(current, port))
        progress(f"load balancer {names.lb} changed: replacing it")
        dock.remove_container(current, timeout=5)
    progress(f"starting load balancer {names.lb}")
    zone_a, *other_zones = (names.zone_network(z) for z in spec.ZONES)
    dock.run_container(
        client,
        name=names.lb,
        image=image,
        labels={**labels, spec.LABEL_ROLE: "lb", spec.LABEL_SPEC: fingerprint},
        network=zone_a,
        extra_networks=other_zones,
        files={spec.LB_CONFIG_PATH: config},
        ports=ports,
        restart_policy={"Name": "unless-stopped"},
    )


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
