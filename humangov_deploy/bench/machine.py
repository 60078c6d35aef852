"""What the figures were measured on: they mean little without the machine, so bench.json carries it."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

MEMINFO = Path("/proc/meminfo")


def memory_gib(meminfo: str) -> float | None:
    """MemTotal from /proc/meminfo's text, in GiB (one decimal); None when it is not there."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            return round(kib / (1024 * 1024), 1)
    return None


def describe(docker: Any) -> dict[str, Any]:
    try:
        meminfo = MEMINFO.read_text(encoding="utf-8")
    except OSError:
        meminfo = ""
    try:
        engine = str(docker.version().get("Version"))
    except Exception:  # the figures stand without the engine's version
        engine = None
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(meminfo),
        "docker": engine,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "locust": metadata.version("locust"),
    }
