"""Errors reach stdout (the container's log stream) once, whether or not the server configured logging."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from app_testkit import TABLE, StateData, app_config, signed_in
from humangov import create_app


@pytest.fixture
def bare_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[logging.Logger]:
    """The app's logger without handlers; whatever the test adds is closed and dropped afterwards."""
    logger = logging.getLogger("humangov")
    monkeypatch.setattr(logger, "handlers", [])
    yield logger
    for handler in logger.handlers:
        handler.close()


def no_root_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    # As under plain gunicorn or `humangov dev`. Done inside the test: pytest adds its own log
    # capture handlers to the root logger when the test's call phase starts.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])


def test_a_storage_error_is_logged_to_stdout_once(
    bare_logging: logging.Logger,
    data: StateData,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_root_handlers(monkeypatch)
    client = signed_in(create_app(app_config()).test_client())
    create_app(app_config())  # a second app in the process adds no second handler
    data.dynamodb.delete_table(TableName=TABLE)
    assert client.get("/records").status_code == 503
    out = capsys.readouterr().out
    assert out.count("storage error on GET /records") == 1
    assert "ResourceNotFoundException" in out


def test_with_a_configured_root_logger_the_app_adds_no_handler(
    bare_logging: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [logging.NullHandler()])
    create_app(app_config())
    assert bare_logging.handlers == []
    assert bare_logging.getEffectiveLevel() == logging.INFO
