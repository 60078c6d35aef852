"""One place that builds boto3 clients; every module receives an `AwsClients`, none builds its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_REGION = "us-east-1"


@dataclass
class AwsClients:
    """Lazily created clients sharing one session, region, retry mode and optional endpoint."""

    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    session: Any = None
    max_attempts: int = 8
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = boto3.session.Session(region_name=self.region)
        # "standard" retries throttling and transient errors with backoff; nothing else is retried silently.
        self._config = Config(retries={"mode": "standard", "max_attempts": self.max_attempts})

    def client(self, service: str) -> Any:
        if service not in self._cache:
            self._cache[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url, config=self._config
            )
        return self._cache[service]

    def __getattr__(self, service: str) -> Any:
        # clients.ecs, clients.s3, ... ; dunder and private lookups fall through to AttributeError.
        if service.startswith("_"):
            raise AttributeError(service)
        return self.client(service)
