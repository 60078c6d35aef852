"""What every app test paid again for the same result, paid once per test process (turned on for the app
tests by a session fixture in suites/unit/app/conftest.py; suites/unit/app/test_app_speed.py shows both
are on).

- `create_app()` makes three boto3 clients (the storage's DynamoDB and S3, the identity's DynamoDB), about
  8 ms of CPU each, mostly botocore copying its event handlers and reading the endpoint rules. Here the
  app's cached session (`dynamo_storage._session`) hands out one client per (service, endpoint, config)
  for the whole process. A client keeps no state between calls except the handlers registered on its
  events: a test that registers one makes its app inside `own_clients()` (test_app_scale).
- A Flask app has its own Jinja environment, so every new app compiled every template again. Here all of
  them share one in-memory bytecode cache (Jinja's BytecodeCache API: keyed by template name and checked
  against the source's checksum, so a changed template is compiled again).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import jinja2
import pytest
from botocore.config import Config
from flask import Flask
from humangov import dynamo_storage


class SharingSession:
    """A boto3 session that makes each distinct client once, then hands out the same one."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.session = session
        self.region_name = session.region_name
        self.clients: dict[tuple[Any, ...], Any] = {}

    def client(self, service: str, endpoint_url: str | None = None, config: Config | None = None) -> Any:
        options = sorted((k, repr(v)) for k, v in (config._user_provided_options if config else {}).items())
        key = (service, endpoint_url, tuple(options))
        if key not in self.clients:  # callers hold dynamo_storage's session lock
            self.clients[key] = self.session.client(service, endpoint_url=endpoint_url, config=config)
        return self.clients[key]


class MemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])  # resets the bucket if the checksum differs

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


@contextmanager
def own_clients() -> Iterator[None]:
    """Apps made inside get clients of their own, as in production (one per app and caller)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dynamo_storage, "_session", lambda region: boto3.session.Session(region_name=region))
        yield


@contextmanager
def app_speedups() -> Iterator[MemoryBytecodeCache]:
    sessions = functools.cache(lambda region: SharingSession(boto3.session.Session(region_name=region)))
    bytecode = MemoryBytecodeCache()
    original = Flask.create_jinja_environment

    def jinja_environment(self: Flask) -> Any:
        environment = original(self)
        environment.bytecode_cache = bytecode
        return environment

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dynamo_storage, "_session", sessions)
        patch.setattr(Flask, "create_jinja_environment", jinja_environment)
        yield bytecode
