"""`import humangov` builds nothing; gunicorn's `humangov:app` builds the app from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import humangov
import pytest
from app_testkit import app_config
from flask import Flask
from gunicorn.util import import_app

APP_DIR = os.path.dirname(os.path.dirname(humangov.__file__))


@pytest.fixture
def fresh_module() -> Iterator[None]:
    # Forget an `app` built by an earlier access, so __getattr__ runs again; forget ours afterwards.
    humangov.__dict__.pop("app", None)
    yield
    humangov.__dict__.pop("app", None)


def test_importing_the_package_reads_no_environment_and_builds_nothing() -> None:
    code = "import humangov; print('app' in vars(humangov), callable(humangov.create_app))"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": APP_DIR}  # no settings at all
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_gunicorn_loads_humangov_app_from_the_environment(
    fresh_module: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in app_config(TESTING=None).items():
        monkeypatch.setenv(name, value)
    app = import_app("humangov:app")
    assert isinstance(app, Flask)
    assert humangov.app is app  # built once, then a plain module attribute


def test_a_bad_setting_stops_gunicorn_with_its_name(
    fresh_module: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in app_config(TESTING=None).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_BUCKET")
    with pytest.raises(humangov.SettingsError, match=r"^AWS_BUCKET: missing"):
        import_app("humangov:app")
    assert "humangov: configuration error: AWS_BUCKET: missing" in capsys.readouterr().err
    assert "app" not in vars(humangov)


def test_other_missing_attributes_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'application'"):
        humangov.application  # noqa: B018
