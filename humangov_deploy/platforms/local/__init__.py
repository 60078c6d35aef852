"""The `local` platform: a state's whole stack on the local Docker engine, with an embedded AWS emulator.

`platform.py` is the Platform; `tasks.py` runs and replaces tasks; `lb.py` the HAProxy load balancer;
`ca.py` the local CA and each state's certificate; `images.py` the images it needs; `teardown.py` destroy
and sweep; `records.py` rollout records; `spec.py` names and settings (pure); `engine.py` every Docker
call. `from_options` (here) builds it from the CLI's options.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.base import Progress
from humangov_deploy.platforms.local import images as local_images
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local.platform import DEFAULT_REGION, LocalPlatform
from humangov_deploy.platforms.local.tasks import Images

__all__ = ["LocalPlatform", "from_options"]


def from_options(
    *,
    region: str | None = None,
    run_id: str | None = None,
    desired_count: int | None = None,
    app_image: str | None = None,
    nginx_image: str | None = None,
    poll_interval: float | None = None,
    docker: Any = None,
    domain: str | None = None,
    hosted_zone_id: str | None = None,
    **_: Any,
) -> LocalPlatform:
    """Build the platform from CLI options (`vars(args)`); options of other platforms are ignored."""
    if hosted_zone_id:
        raise ConfigError("--hosted-zone-id is for the aws platform (a Route 53 record); local needs no DNS")
    if bool(app_image) != bool(nginx_image):
        raise ConfigError("pass both --app-image and --nginx-image, or neither (to build both)")
    provider: Callable[[Any, Progress], Images] | None = None
    if app_image and nginx_image:

        def provider(client: Any, progress: Progress) -> Images:
            built = local_images.own_images(client, progress)
            return Images(app=app_image, nginx=nginx_image, lb=built.lb, emulator=built.emulator)

    return LocalPlatform(
        docker=docker,
        region=region or DEFAULT_REGION,
        run_id=run_id,
        desired_count=spec.DEFAULT_TASK_COUNT if desired_count is None else int(desired_count),
        image_provider=provider,
        poll_interval=0.5 if poll_interval is None else float(poll_interval),
        domain=domain or None,
    )
