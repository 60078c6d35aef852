"""Platforms: `aws` (ECS Fargate + ALB) and `local` (Docker engine + embedded AWS emulator).

Both fulfil `humangov_deploy.platforms.base.Platform`; they never import each other. `get_platform`
imports the chosen one lazily so the local platform never needs AWS credentials and vice versa.
"""

from __future__ import annotations

import importlib
from typing import Any

from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.base import Platform

__all__ = ["PLATFORMS", "get_platform"]

PLATFORMS = {"aws": "humangov_deploy.platforms.aws", "local": "humangov_deploy.platforms.local"}


def get_platform(name: str, **options: Any) -> Platform:
    """Build the platform `name`; each platform module exposes `from_options(**options) -> Platform`."""
    if name not in PLATFORMS:
        raise ConfigError(f"unknown platform {name!r}; choose one of {', '.join(PLATFORMS)}")
    module = importlib.import_module(PLATFORMS[name])
    platform: Platform = module.from_options(**options)
    return platform
