"""HumanGov, the HR app of one state: `create_app()` builds it; gunicorn serves `humangov:app`.

Importing the package builds nothing and reads no environment (tests, the deploy library's tools);
the module attribute `app` is built on first access (PEP 562), from the environment.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from humangov.config import SettingsError
from humangov.factory import create_app

if TYPE_CHECKING:
    from flask import Flask

    app: Flask

# `app` stays out of __all__: a star import must not build the app either.
__all__ = ["SettingsError", "create_app"]


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        built = create_app()
    except SettingsError as exc:
        # One plain line before gunicorn's traceback: the operator sees which setting to fix.
        print(f"humangov: configuration error: {exc}", file=sys.stderr, flush=True)
        raise
    globals()["app"] = built
    return built
