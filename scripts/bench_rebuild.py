#!/usr/bin/env python3
"""Benchmark: how long a code-only change takes to rebuild the app image (issue 15's budget: 10 s).

Prints figures; it is not a test. For each Dockerfile measured (the working tree's, and with `--before REV`
the one at that commit), it copies containers/app to a temporary directory, builds the image there once
(warm: the layers below the code come from Docker's cache), then appends a comment with a fresh nonce to
the copy's humangov/__init__.py and rebuilds, `--repeat` times. The real tree is never edited. Builds go
through humangov_deploy.build.images (the same
context, build arguments and Docker SDK call as `humangov build`).

    .venv/bin/python scripts/bench_rebuild.py                 # this Dockerfile only
    .venv/bin/python scripts/bench_rebuild.py --before 7e10b21  # and the old one, with the ratio

The CPU may be shared: the load average is printed before and after, read the figures with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from humangov_deploy.appsrc import APP_DIR  # noqa: E402
from humangov_deploy.build import images  # noqa: E402

BUDGET_SECONDS = 10.0


@dataclass(frozen=True)
class Measure:
    label: str
    warm_seconds: float
    rebuilds: list[float]
    tags: list[str]

    @property
    def median(self) -> float:
        return statistics.median(self.rebuilds)


def app_spec(base: images.Base, app_dir: Path) -> images.ImageSpec:
    """The app image as `humangov build` would build it on `base`, but from `app_dir`."""
    specs = images.image_specs(base=base, progress=_quiet, app_dir=app_dir)
    return next(s for s in specs if s.name == "app")


def copy_app(dest: Path, dockerfile: str | None) -> Path:
    shutil.copytree(APP_DIR, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests"))
    if dockerfile is not None:
        (dest / "Dockerfile").write_text(dockerfile)
    return dest


def build(spec: images.ImageSpec, revision: str) -> tuple[str, float]:
    prepared = images.prepare(spec, revision=revision)
    # The clock starts with the prepared context, as `humangov build` does after hashing it.
    start = time.perf_counter()
    tag = images.build_prepared(prepared, progress=_quiet)
    return tag, time.perf_counter() - start


def touch_code(app_dir: Path) -> None:
    """A comment with a nonce: new bytes each time, so no build can take the code's layer from the cache."""
    init = app_dir / "humangov" / "__init__.py"
    with init.open("a") as fh:
        fh.write(f"# bench_rebuild {uuid.uuid4().hex}\n")


def measure(label: str, spec: images.ImageSpec, repeat: int, revision: str) -> Measure:
    tag, warm = build(spec, revision)
    tags = [tag]
    rebuilds = []
    for _ in range(repeat):
        touch_code(spec.context_dir)
        tag, seconds = build(spec, revision)
        tags.append(tag)
        rebuilds.append(seconds)
        print(f"  {label}: code-only rebuild {seconds:.1f} s", flush=True)
    return Measure(label, warm, rebuilds, tags)


def old_dockerfile(rev: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{rev}:containers/app/Dockerfile"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def remove_tags(tags: list[str]) -> None:
    client = images.baseimage.connect()
    for tag in tags:
        try:
            client.images.remove(tag)
        except Exception as exc:  # an image shared by two tags is already gone: nothing to clean
            print(f"  (kept {tag}: {exc})")


def _quiet(_line: str) -> None:
    pass


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base", choices=["local", "official"], default=None, help="default: as humangov build"
    )
    parser.add_argument(
        "--before", metavar="REV", help="also measure containers/app/Dockerfile at this commit"
    )
    parser.add_argument("--repeat", type=int, default=3, help="code-only rebuilds per Dockerfile (default 3)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the images built (default: remove the tags)"
    )
    args = parser.parse_args(argv)
    base: images.Base = args.base or images.available_base()
    out(f"base: {base}; {_load()}")
    results: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        variants: list[tuple[str, str | None]] = []
        if args.before:
            variants.append((f"before ({args.before})", old_dockerfile(args.before)))
        variants.append(("now (working tree)", None))
        for i, (label, dockerfile) in enumerate(variants):
            app_dir = copy_app(Path(tmp) / f"app{i}", dockerfile)
            spec = app_spec(base, app_dir)
            try:
                results.append(measure(label, spec, args.repeat, revision=f"bench{i}"))
            finally:
                if not args.keep and results and results[-1].label == label:
                    remove_tags(results[-1].tags)
    out(f"after: {_load()}")
    for m in results:
        runs = ", ".join(f"{s:.1f}" for s in m.rebuilds)
        out(f"{m.label}: warm build {m.warm_seconds:.1f} s; code-only rebuild median {m.median:.1f} s")
        out(f"  each: {runs} s")
    if len(results) == 2:
        before, now = results
        out(f"ratio before/now: {before.median / now.median:.1f}x")
    now = results[-1]
    verdict = "within" if now.median <= BUDGET_SECONDS else "OVER"
    out(f"budget {BUDGET_SECONDS:.0f} s: {verdict} ({now.median:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
