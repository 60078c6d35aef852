"""The machine's cache for HumanGov: wheelhouses and command logs (`HUMANGOV_CACHE_DIR` overrides)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("HUMANGOV_CACHE_DIR"):
        return Path(env["HUMANGOV_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "humangov"
