"""The `aws` platform: each state on ECS Fargate behind its own Application Load Balancer.

`platform.py` is the Platform (deploy, status, versions); `teardown.py` its destroy and tag sweep;
`spec.py` what a state's task definition, roles and policies are; `network.py` and `https.py` the load
balancer, listeners and security groups; `wait.py` the rollout wait; `data.py` how the state's table and
bucket and the images are made; `status.py`, `versions.py`, `records.py`, `fleet.py` the rest.
`from_options` (here) builds it from the CLI's options.
"""

from __future__ import annotations

from typing import Any

from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.aws.data import built_images, local_images, prebuilt_images
from humangov_deploy.platforms.aws.fleet import FleetClients
from humangov_deploy.platforms.aws.options import DEFAULT_LOG_RETENTION_DAYS, AwsOptions
from humangov_deploy.platforms.aws.platform import AwsPlatform

__all__ = ["AwsOptions", "AwsPlatform", "from_options"]


def from_options(
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    run_id: str | None = None,
    data: str | None = None,
    desired_count: int | None = None,
    app_image: str | None = None,
    nginx_image: str | None = None,
    base: str | None = None,
    wait: str | None = None,
    log_retention_days: int | None = None,
    poll_interval: float | None = None,
    keep_data: bool = False,
    keep_shared: bool = False,
    certificate_arn: str | None = None,
    domain: str | None = None,
    hosted_zone_id: str | None = None,
    clients: AwsClients | None = None,
    retry_mode: str | None = None,
    max_parallel: int | None = None,
    **_: Any,
) -> AwsPlatform:
    """Build the platform from CLI options (`vars(args)`); options of other platforms are ignored.

    With `--endpoint-url` (an AWS emulator such as moto's server) two defaults change, as the emulator
    can neither store images nor register targets: images are built but not pushed, and the wait is
    for a stable service only. Explicit `--app-image/--nginx-image` and `--wait` still win.
    `retry_mode="adaptive"` (what `rollout` asks for) shares thread-safe clients with client-side
    rate limiting across every state's thread.
    """
    if clients is None and retry_mode == "adaptive":
        # Many states from one process (rollout): one set of clients for every thread, throttled together.
        clients = FleetClients(
            region=region or "us-east-1", endpoint_url=endpoint_url, pool=max(10, max_parallel or 0)
        )
    clients = clients or AwsClients(region=region or "us-east-1", endpoint_url=endpoint_url)
    emulated = bool(clients.endpoint_url)
    if bool(app_image) != bool(nginx_image):
        raise ConfigError("pass both --app-image and --nginx-image, or neither (to build and push both)")
    options = AwsOptions(
        data=data or "terraform",
        data_given=data is not None,
        desired_count=2 if desired_count is None else int(desired_count),
        wait=(wait or ("stable" if emulated else "healthy")),  # type: ignore[arg-type]
        log_retention_days=log_retention_days or DEFAULT_LOG_RETENTION_DAYS,
        poll_interval=5.0 if poll_interval is None else float(poll_interval),
        keep_data=keep_data,
        keep_shared=keep_shared,
        certificate_arn=certificate_arn or None,
        domain=domain or None,
        hosted_zone_id=hosted_zone_id or None,
    )
    if app_image and nginx_image:
        images = prebuilt_images(app_image, nginx_image)
    elif emulated:
        images = local_images(base=base)
    else:
        images = built_images(clients, base=base)
    return AwsPlatform(clients, options=options, run_id=run_id, images=images)
