"""One error tree for the whole library; the CLI turns any `HumangovError` into a message and exit 1."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AwsCallError",
    "ConfigError",
    "DeployTimeout",
    "DeploymentFailed",
    "HumangovError",
    "ImageBuildError",
    "TerraformError",
    "VerificationFailed",
]


class HumangovError(Exception):
    """Root of every error the library raises on purpose."""


class ConfigError(HumangovError):
    """Bad input from the user or the environment (unknown state, missing binary, bad option)."""


class AwsCallError(HumangovError):
    def __init__(self, service: str, operation: str, code: str, message: str = "") -> None:
        self.service, self.operation, self.code = service, operation, code
        super().__init__(f"{service}.{operation} failed: {code}" + (f": {message}" if message else ""))


class DeploymentFailed(HumangovError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class DeployTimeout(HumangovError):
    """A deadline ran out; carries what was last seen and a hint on what to try."""

    def __init__(self, what: str, last_state: Any, hint: str = "") -> None:
        self.what, self.last_state, self.hint = what, last_state, hint
        message = f"timed out waiting for {what}; last seen: {last_state}"
        super().__init__(message + (f". {hint}" if hint else ""))


class ImageBuildError(HumangovError):
    def __init__(self, image: str, step_output: str) -> None:
        self.image, self.step_output = image, step_output
        super().__init__(f"building {image} failed:\n{step_output}")


class TerraformError(HumangovError):
    def __init__(self, command: str, returncode: int, stderr: str) -> None:
        self.command, self.returncode, self.stderr = command, returncode, stderr
        super().__init__(f"terraform {command} exited {returncode}:\n{stderr.strip()}")


class VerificationFailed(HumangovError):
    """At least one verification check failed; `report` holds every check's outcome."""

    def __init__(self, report: Any) -> None:
        self.report = report
        super().__init__("verification failed")
