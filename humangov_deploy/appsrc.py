"""Access to the app's stdlib-only source of truth (storage schema, state list) without importing the app.

The app never imports this library; the library reads those two files from `containers/app/humangov/`
so the app, `humangov data create`, the local platform and the Terraform drift test share one schema.
Installed from a wheel, the same files come from the copy the wheel carries (`source_root`).
"""

from __future__ import annotations

import difflib
import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from humangov_deploy.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent


def source_root(package_dir: Path = PACKAGE_DIR) -> Path:
    """Where containers/ and terraform/ are: the checkout around the package, or, installed from a wheel,
    the copy the wheel carries (humangov_deploy/_source/, made by setup.py)."""
    checkout = package_dir.parent
    if (checkout / "containers" / "app" / "humangov" / "schema.py").is_file():
        return checkout
    return package_dir / "_source"


REPO_ROOT = source_root()
APP_DIR = REPO_ROOT / "containers" / "app"
NGINX_DIR = REPO_ROOT / "containers" / "nginx"
TERRAFORM_DIR = REPO_ROOT / "terraform"


@cache
def _load(name: str) -> ModuleType:
    path = APP_DIR / "humangov" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_humangov_app_{name}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the repo
        raise ConfigError(f"cannot load {path}: reinstall humangov-deploy (its wheel carries the app)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def schema() -> ModuleType:
    return _load("schema")


def states() -> tuple[str, ...]:
    return tuple(_load("states").STATES)


def validate_state(slug: str) -> str:
    """Return the slug if it names one of the 50 states, else a ConfigError with a hint."""
    slug = slug.strip().lower().replace(" ", "-").replace("_", "-")
    if slug in states():
        return slug
    close = difflib.get_close_matches(slug, states(), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (use a slug such as california or new-york)"
    raise ConfigError(f"unknown state {slug!r}{hint}")


def display_name(slug: str) -> str:
    return str(_load("states").display_name(slug))
