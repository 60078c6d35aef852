"""The app tests' speed-ups (app_speed.py) are on, and neither changes what an app does."""

from __future__ import annotations

from app_speed import MemoryBytecodeCache, SharingSession
from app_testkit import StateData, app_config
from flask import Flask
from humangov import create_app
from humangov.storage import EXTENSION_KEY


def test_two_apps_share_their_clients_and_templates(app: Flask, data: StateData) -> None:
    other = create_app(app_config())
    first, second = app.extensions[EXTENSION_KEY], other.extensions[EXTENSION_KEY]

    assert second.dynamodb is first.dynamodb and second.s3 is first.s3
    assert isinstance(app.jinja_env.bytecode_cache, MemoryBytecodeCache)
    assert other.jinja_env.bytecode_cache is app.jinja_env.bytecode_cache


def test_clients_with_another_endpoint_or_config_are_their_own() -> None:
    import boto3
    from botocore.config import Config

    session = SharingSession(boto3.session.Session(region_name="us-east-1"))
    plain = session.client("s3")

    assert session.client("s3") is plain
    assert session.client("s3", endpoint_url="http://127.0.0.1:1") is not plain
    assert session.client("s3", config=Config(signature_version="s3v4")) is not plain
    assert session.client("dynamodb") is not plain


def test_a_changed_template_is_compiled_again(tmp_path: object) -> None:
    import jinja2

    cache = MemoryBytecodeCache()
    loader = jinja2.DictLoader({"page.html": "one {{ x }}"})
    first = jinja2.Environment(loader=loader, bytecode_cache=cache)
    assert first.get_template("page.html").render(x=1) == "one 1"
    assert len(cache.store) == 1

    loader.mapping["page.html"] = "two {{ x }}"
    second = jinja2.Environment(loader=loader, bytecode_cache=cache)
    assert second.get_template("page.html").render(x=2) == "two 2"
