"""Settings: a missing or malformed setting stops startup with a message naming it."""

from __future__ import annotations

import re

import pytest
from app_testkit import StateData, app_config
from humangov import SettingsError, create_app
from humangov.config import load_settings
from humangov.factory import FORM_OVERHEAD_BYTES

REQUIRED = ("US_STATE", "AWS_REGION", "AWS_DYNAMODB_TABLE", "AWS_BUCKET")


@pytest.mark.parametrize("variable", REQUIRED)
def test_a_missing_setting_is_named(variable: str) -> None:
    for value in (None, "", "   "):
        with pytest.raises(SettingsError, match=rf"^{variable}: missing") as raised:
            load_settings(app_config(**{variable: value}))
        assert raised.value.variable == variable


def test_secret_key_is_required_outside_tests() -> None:
    with pytest.raises(SettingsError, match=r"^SECRET_KEY: missing"):
        load_settings(app_config(SECRET_KEY=None, TESTING=None))
    assert load_settings(app_config(SECRET_KEY=None)).secret_key is None  # TESTING=1


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("US_STATE", "atlantis", "not a US state"),
        ("US_STATE", "new york", "not a US state"),
        ("AWS_REGION", "virginia", "not an AWS region"),
        ("AWS_DYNAMODB_TABLE", "a", "not a valid DynamoDB table name"),
        ("AWS_DYNAMODB_TABLE", "humangov-texas-dynamodb", "not california's table"),
        ("AWS_BUCKET", "Humangov_California", "not a valid S3 bucket name"),
        ("AWS_BUCKET", "humangov-texas-s3-abcd", "not one of california's buckets"),
        ("AWS_ENDPOINT_URL", "localhost:5000", "not an http(s) URL"),
        ("AWS_ENDPOINT_URL", "ftp://emulator", "not an http(s) URL"),
        ("SECRET_KEY", "short", "too short"),
        ("MAX_UPLOAD_MB", "0", "whole number from 1 to 100"),
        ("MAX_UPLOAD_MB", "101", "whole number from 1 to 100"),
        ("MAX_UPLOAD_MB", "ten", "whole number from 1 to 100"),
        ("MAX_UPLOAD_MB", "-5", "whole number from 1 to 100"),
        ("TESTING", "maybe", "not a boolean"),
    ],
)
def test_a_malformed_setting_is_named(variable: str, value: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{variable}: .*{re.escape(problem)}") as raised:
        load_settings(app_config(**{variable: value}))
    assert raised.value.variable == variable


def test_defaults_and_upload_limit() -> None:
    settings = load_settings(app_config())
    assert settings.max_upload_mb == 10
    assert settings.endpoint_url is None
    app = create_app(app_config(MAX_UPLOAD_MB="3"))
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024 + FORM_OVERHEAD_BYTES


def test_create_app_reads_the_environment_when_given_no_config(
    monkeypatch: pytest.MonkeyPatch, data: StateData
) -> None:
    for name, value in app_config(TESTING=None).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("US_STATE", "atlantis")
    with pytest.raises(SettingsError, match=r"^US_STATE:"):
        create_app()
    monkeypatch.setenv("US_STATE", "california")
    app = create_app()
    assert not app.testing
    assert app.secret_key == app_config()["SECRET_KEY"]


def test_the_endpoint_url_reaches_both_clients() -> None:
    app = create_app(app_config(AWS_ENDPOINT_URL="http://127.0.0.1:5999"))
    storage = app.extensions["humangov.storage"]
    assert storage.dynamodb.meta.endpoint_url == "http://127.0.0.1:5999"
    assert storage.s3.meta.endpoint_url == "http://127.0.0.1:5999"
    assert storage.dynamodb.meta.region_name == "us-east-1"


def test_without_an_endpoint_url_the_clients_use_aws() -> None:
    storage = create_app(app_config(AWS_REGION="us-west-2")).extensions["humangov.storage"]
    assert storage.dynamodb.meta.endpoint_url == "https://dynamodb.us-west-2.amazonaws.com"
    assert storage.s3.meta.region_name == "us-west-2"
