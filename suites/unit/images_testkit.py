"""Fakes of the tools an image build drives: mmdebstrap on PATH, pip's download, Docker's build API."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from humangov_deploy.build import baseimage


def fake_mmdebstrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, exit_code: int, lines: int = 1
) -> Path:
    """An `mmdebstrap` on PATH that logs its arguments, prints `lines` lines, writes the tarball and exits."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "args"
    script = bin_dir / "mmdebstrap"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" >> {log}\n'
        'echo "I: downloading packages with apt..."\n'
        f'i=1; while [ $i -lt {lines} ]; do echo "Unpacking package-$i ..."; i=$((i+1)); done\n'
        f'[ {exit_code} -eq 0 ] || {{ echo "E: Unable to locate package nginx-bogus"; exit {exit_code}; }}\n'
        # The output is the argument just before the first mirror line.
        'out=""; prev=""\n'
        'for a in "$@"; do case "$a" in deb\\ *) [ -z "$out" ] && out="$prev";; esac; prev="$a"; done\n'
        'printf rootfs > "$out"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return log


def fake_pip_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pip download` replaced by a command that leaves one wheel in the destination (no network)."""

    def command(requirements: Path, dest: Path) -> list[str]:
        code = f"open({str(dest / 'flask-3.1.3-py3-none-any.whl')!r}, 'w').write('wheel')"
        return [sys.executable, "-c", code]

    monkeypatch.setattr(baseimage, "pip_download_command", command)


class BuildApi:
    """Docker's low-level API as builds use it: `build` streams `lines` steps (or fails at the last)
    and tags the image; `import_image` tags a base. `engine_tags` is the engine's set of image tags."""

    def __init__(self, engine_tags: set[str], *, lines: int = 40, fail: str | None = None, inner: Any = None):
        self.engine_tags, self.lines, self.fail, self.inner = engine_tags, lines, fail, inner
        self.builds: list[str] = []

    def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.builds.append(kwargs["tag"])
        for n in range(1, self.lines + 1):
            yield {"stream": f"Step {n}/{self.lines} : RUN step {n}\n"}
            yield {"stream": f" ---> Running in {n:012x}\n"}
        if self.fail:
            yield {"error": self.fail, "errorDetail": {"message": self.fail}}
            return
        self.engine_tags.add(kwargs["tag"])

    def import_image(self, *, src: str, repository: str, tag: str, changes: list[str]) -> None:
        self.engine_tags.add(f"{repository}:{tag}")

    def __getattr__(self, name: str) -> Any:  # the rest of the API (endpoint configs, ...) from the engine
        return getattr(self.inner, name)
