"""Clients for many states at once (rollout): one set shared by every thread, with adaptive retries.

boto3's clients are thread-safe once made, its sessions are not
(https://docs.aws.amazon.com/boto3/latest/guide/clients.html): clients are made under a lock, then
shared. Adaptive retry mode adds client-side rate limiting to the standard retries, so 10 states
polling at once slow down together when AWS throttles instead of each burning its attempts
(https://docs.aws.amazon.com/boto3/latest/guide/retries.html).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from botocore.config import Config

from humangov_deploy.clients import AwsClients


@dataclass
class FleetClients(AwsClients):
    pool: int = 10  # HTTP connections per client: at least one per thread that deploys a state

    def __post_init__(self) -> None:
        super().__post_init__()
        self._lock = threading.Lock()
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            max_pool_connections=self.pool,
        )

    def client(self, service: str) -> Any:
        with self._lock:
            return super().client(service)
