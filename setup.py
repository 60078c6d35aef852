"""The wheel carries the sources the library reads besides its own package: the app and the images'
build contexts (containers/) and the Terraform module (terraform/), under humangov_deploy/_source/.

From a checkout (and an editable install) the library reads them where they are; installed from a wheel,
it reads the copy (humangov_deploy/appsrc.py picks). Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("containers", "terraform")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".terraform", "*.tfstate*", ".pytest_cache", "*.log")


class BuildWithSources(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "humangov_deploy" / "_source"
        for name in BUNDLED:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(ROOT / name, target / name, ignore=SKIP)


setup(cmdclass={"build_py": BuildWithSources})
