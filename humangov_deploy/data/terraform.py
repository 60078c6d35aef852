"""Terraform for one state's data (its DynamoDB table and S3 bucket), isolated from every other state.

Per-state isolation: each state is applied in its own Terraform *workspace*, `humangov-<state>`, with its
own data directory (`TF_DATA_DIR`). Workspaces rather than `-state` paths or one backend key per state,
because a workspace addresses a separate state in every backend alike (local:
`terraform.tfstate.d/humangov-<state>/`, S3: `<workspace_key_prefix>/humangov-<state>/<key>`, each with
its own lock), from one backend configuration and one `init`. The data directory is per state too,
because the selected workspace is written to `<data dir>/environment`: two runs sharing `.terraform/`
would switch each other's workspace mid-apply. Inits are serialized by a file lock (they write the shared
provider cache and `.terraform.lock.hcl`); plan, apply and destroy of different states run at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.errors import ConfigError, TerraformError

TERRAFORM_DIR = appsrc.TERRAFORM_DIR
OUTPUT_NAME = "state_infrastructure_outputs"
INSTALL_HINT = (
    "install Terraform >= 1.6 (https://developer.hashicorp.com/terraform/install, or your package "
    "manager's `terraform`) and put it on PATH, or pass the path of the binary"
)

# Errors worth another try: throttling, flaky networks, a state lock still held by a run that is ending.
# Anything else (bad config, access denied, a name taken) fails at once: retrying would only hide it.
TRANSIENT_ERRORS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"Throttling",
        r"RequestLimitExceeded",
        r"TooManyRequestsException",
        r"SlowDown",
        r"connection reset",
        r"TLS handshake timeout",
        r"i/o timeout",
        r"Error acquiring the state lock",
    )
)
DEFAULT_BACKOFF: tuple[float, ...] = (5.0, 15.0)  # seconds before the 2nd and 3rd attempt

# Arguments of the AWS provider that make a destroy refuse (a table's deletion protection, a bucket that
# is not empty without force_destroy). A resource of the configuration that sets one is "protected": the
# targeted apply before `destroy(force=True)` turns them all off (the module binds each to a variable).
PROTECTION_ARGUMENTS = ("deletion_protection_enabled", "deletion_protection", "force_destroy")
_RESOURCE_BLOCK = re.compile(r'^resource\s+"([^"]+)"\s+"([^"]+)"\s*\{', re.MULTILINE)
_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]+)"', re.MULTILINE)
_ADDRESS = re.compile(r"(?:^|\.)([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?$")

Runner = Callable[..., "subprocess.CompletedProcess[str]"]
Progress = Callable[[str], None]


class TerraformNotFound(ConfigError):
    """No `terraform` binary: callers that can do without Terraform (destroy by name) catch this one."""


@dataclass(frozen=True)
class TerraformOutputs:
    """One state's entry of the root output `state_infrastructure_outputs`."""

    state: str
    table: str
    bucket: str
    table_arn: str
    bucket_arn: str


@dataclass(frozen=True)
class Plan:
    state: str
    has_changes: bool
    output: str


@dataclass(frozen=True)
class StateVars:
    """The root module's variables for a one-state run."""

    region: str
    run_id: str = ""
    force_destroy: bool = False
    # On by default, as the root module's variable: only `destroy(force=True)` turns it off, itself.
    deletion_protection: bool = True

    def args(self, state: str) -> list[str]:
        # -var=NAME=VALUE as one argv item each: no shell, so no quoting; lists and bools are HCL literals.
        return [
            f"-var=states={json.dumps([state])}",
            f"-var=region={self.region}",
            f"-var=run_id={self.run_id}",
            f"-var=force_destroy={str(self.force_destroy).lower()}",
            f"-var=deletion_protection={str(self.deletion_protection).lower()}",
        ]


def workspace_name(state: str) -> str:
    return f"humangov-{state}"


def is_transient(stderr: str) -> bool:
    return any(pattern.search(stderr) for pattern in TRANSIENT_ERRORS)


def _block_body(text: str, start: int) -> str:
    """The text of the block whose `{` is at `start`, up to its matching `}` (strings and comments
    skipped)."""
    depth, i, quote = 0, start, False
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == '"':
                quote = False
        elif char == '"':
            quote = True
        elif char == "#" or text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
        i += 1
    return text[start:]


def protected_resources(workdir: Path | str = TERRAFORM_DIR) -> frozenset[tuple[str, str]]:
    """(type, name) of every resource of the configuration, and of the local modules it calls, that sets
    one of PROTECTION_ARGUMENTS: read from the .tf files, so a protected resource added later is covered."""
    found: set[tuple[str, str]] = set()
    pending, seen = [Path(workdir).resolve()], set()
    while pending:
        folder = pending.pop()
        if folder in seen:
            continue
        seen.add(folder)
        for tf in sorted(folder.glob("*.tf")):
            text = tf.read_text()
            for match in _RESOURCE_BLOCK.finditer(text):
                body = _block_body(text, match.end() - 1)
                if any(re.search(rf"^\s*{name}\s*=", body, re.MULTILINE) for name in PROTECTION_ARGUMENTS):
                    found.add((match.group(1), match.group(2)))
            pending.extend((folder / source).resolve() for source in _MODULE_SOURCE.findall(text))
    return frozenset(found)


def resource_of(address: str) -> tuple[str, str] | None:
    """`module.m["x"].aws_dynamodb_table.state_audit` -> (aws_dynamodb_table, state_audit); None for data
    sources and what is not a resource address."""
    match = _ADDRESS.search(address)
    head = address[: match.start()] if match else ""
    if match is None or head == "data" or head.endswith(".data"):
        return None
    return match.group(1), match.group(2)


class Terraform:
    """init, plan, apply, output, destroy of the root module in `workdir`, for one state at a time.

    `runner` is called like `subprocess.run(args, cwd=, env=, capture_output=True, text=True,
    check=False)`; the default streams stdout lines to `progress` as they come. `env` adds to (and
    overrides) the process environment. `backend_config` becomes `-backend-config=KEY=VALUE` at init.
    """

    def __init__(
        self,
        workdir: Path | str = TERRAFORM_DIR,
        binary: str = "terraform",
        runner: Runner | None = None,
        sleep: Callable[[float], None] = time.sleep,
        env: Mapping[str, str] | None = None,
        *,
        data_root: Path | str | None = None,
        backend_config: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        lock_timeout: str = "120s",
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.binary = binary
        self.data_root = Path(data_root).resolve() if data_root else self.workdir / ".terraform-data"
        self.backend_config = dict(backend_config or {})
        self.progress = progress
        self.backoff = tuple(backoff)
        self.lock_timeout = lock_timeout
        self._runner = runner
        self._sleep = sleep
        self._env = dict(env or {})
        self._initialized: set[str] = set()
        self._init_guard = threading.Lock()

    # -- public API -------------------------------------------------------------------------------------

    def data_dir(self, state: str) -> Path:
        return self.data_root / appsrc.validate_state(state)

    def init(self, state: str) -> None:
        """Initialize the state's data directory and select (or create) its workspace."""
        state = appsrc.validate_state(state)
        data_dir = self.data_dir(state)
        data_dir.mkdir(parents=True, exist_ok=True)
        backend_args = [f"-backend-config={key}={value}" for key, value in self.backend_config.items()]
        with self._init_lock():
            self._run(state, "init", ["init", "-input=false", "-no-color", *backend_args], stream=True)
        self._run(
            state,
            "workspace select",
            ["workspace", "select", "-or-create=true", "-no-color", workspace_name(state)],
        )
        self._initialized.add(state)

    def plan(
        self,
        state: str,
        *,
        region: str,
        run_id: str = "",
        force_destroy: bool = False,
        deletion_protection: bool = True,
        destroy: bool = False,
    ) -> Plan:
        state = self._ready(state)
        variables = StateVars(region, run_id, force_destroy, deletion_protection)
        args = ["plan", "-input=false", "-no-color", f"-lock-timeout={self.lock_timeout}"]
        args += ["-detailed-exitcode", *(["-destroy"] if destroy else []), *variables.args(state)]
        # -detailed-exitcode: 0 no changes, 2 changes, 1 error.
        result = self._run(state, "plan", args, stream=True, ok_codes=(0, 2))
        return Plan(state=state, has_changes=result.returncode == 2, output=result.stdout)

    def apply(
        self,
        state: str,
        *,
        region: str,
        run_id: str = "",
        force_destroy: bool = False,
        deletion_protection: bool = True,
    ) -> TerraformOutputs:
        """Create or update the state's table and bucket; returns their names and ARNs."""
        state = self._ready(state)
        variables = StateVars(region, run_id, force_destroy, deletion_protection)
        self._apply(state, variables)
        return self.output(state)

    def output(self, state: str) -> TerraformOutputs:
        state = self._ready(state)
        result = self._run(state, "output", ["output", "-no-color", "-json", OUTPUT_NAME])
        return parse_outputs(state, result.stdout)

    def resources(self, state: str) -> list[str]:
        """Addresses of the resources in the state's Terraform state (empty when nothing was applied)."""
        state = self._ready(state)
        result = self._run(state, "state list", ["state", "list", "-no-color"])
        return [line.strip() for line in result.stdout.splitlines() if line.strip()]

    def destroy(self, state: str, *, region: str, run_id: str = "", force: bool = False) -> None:
        """Destroy the state's table and bucket; a no-op when there is nothing.

        With `force`, first lift the deletion protection of every protected resource still in the state
        (`protected_resources`: the tables, and the bucket goes with its objects) by a targeted apply of only
        those, so nothing missing is created on the way. Derived from the state each time, a rerun after a
        destroy that stopped half-way lifts what is left and finishes.
        """
        state = self._ready(state)
        variables = StateVars(region, run_id, force_destroy=force, deletion_protection=False)
        if force:
            protected = protected_resources(self.workdir)
            guarded = [a for a in self.resources(state) if resource_of(a) in protected]
            if guarded:
                self._apply(state, variables, targets=guarded)
        args = ["destroy", "-input=false", "-no-color", "-auto-approve", f"-lock-timeout={self.lock_timeout}"]
        self._run(state, "destroy", [*args, *variables.args(state)], stream=True)

    # -- internals --------------------------------------------------------------------------------------

    def _ready(self, state: str) -> str:
        state = appsrc.validate_state(state)
        if state not in self._initialized:
            self.init(state)
        return state

    def _apply(self, state: str, variables: StateVars, targets: Sequence[str] = ()) -> None:
        args = ["apply", "-input=false", "-no-color", "-auto-approve", f"-lock-timeout={self.lock_timeout}"]
        args += [f"-target={target}" for target in targets]
        self._run(state, "apply", [*args, *variables.args(state)], stream=True)

    @contextlib.contextmanager
    def _init_lock(self) -> Iterator[None]:
        # Inits share the provider cache and write .terraform.lock.hcl in workdir: one at a time, across
        # threads (the in-process lock) and processes (flock on a file beside the data directories).
        self.data_root.mkdir(parents=True, exist_ok=True)
        with self._init_guard, open(self.data_root / ".init.lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _environment(self, state: str) -> dict[str, str]:
        env = {**os.environ, **self._env}
        # An inherited TF_WORKSPACE would override the workspace selected in the state's data directory
        # and apply one state's resources into another's state: never pass it on.
        env.pop("TF_WORKSPACE", None)
        env["TF_DATA_DIR"] = str(self.data_dir(state))
        # One provider download for every state (50 data directories would otherwise hold 50 copies).
        cache = Path(env.get("TF_PLUGIN_CACHE_DIR") or self.data_root / "plugin-cache")
        cache.mkdir(parents=True, exist_ok=True)
        env["TF_PLUGIN_CACHE_DIR"] = str(cache)
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        env.setdefault("CHECKPOINT_DISABLE", "1")
        return env

    def _run(
        self,
        state: str,
        command: str,
        args: list[str],
        *,
        stream: bool = False,
        ok_codes: tuple[int, ...] = (0,),
    ) -> subprocess.CompletedProcess[str]:
        attempts = len(self.backoff) + 1
        for attempt in range(1, attempts + 1):
            result = self._call([self._executable(), *args], self._environment(state), stream)
            if result.returncode in ok_codes:
                return result
            stderr = result.stderr or ""
            if attempt < attempts and is_transient(stderr):
                delay = self.backoff[attempt - 1]
                self._say(f"terraform {command} ({state}): transient error, retry {attempt} in {delay:g}s")
                self._sleep(delay)
                continue
            raise TerraformError(command, result.returncode, stderr or result.stdout or "")
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _executable(self) -> str:
        if self._runner is not None:
            return self.binary  # an injected runner decides what the binary means
        found = shutil.which(self.binary, path=self._env.get("PATH") or os.environ.get("PATH"))
        if found is None:
            raise TerraformNotFound(f"terraform binary {self.binary!r} not found: {INSTALL_HINT}")
        return found

    def _call(self, argv: list[str], env: dict[str, str], stream: bool) -> subprocess.CompletedProcess[str]:
        on_line = self._say if stream else None
        try:
            if self._runner is None:
                return _stream_run(argv, cwd=str(self.workdir), env=env, on_line=on_line)
            result = self._runner(
                argv, cwd=str(self.workdir), env=env, capture_output=True, text=True, check=False
            )
        except FileNotFoundError as exc:
            raise TerraformNotFound(f"terraform binary {self.binary!r} not found: {INSTALL_HINT}") from exc
        if on_line is not None:
            for line in (result.stdout or "").splitlines():
                on_line(line)
        return result

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)


def _stream_run(
    argv: list[str], *, cwd: str, env: dict[str, str], on_line: Progress | None
) -> subprocess.CompletedProcess[str]:
    """subprocess.run with stdout handed line by line to `on_line` while Terraform works."""
    stderr_parts: list[str] = []
    stdout_parts: list[str] = []
    with subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        errors = proc.stderr
        # stderr is drained by a thread so a chatty stderr never blocks Terraform while we read stdout.
        reader = threading.Thread(target=lambda: stderr_parts.append(errors.read()), daemon=True)
        reader.start()
        for line in proc.stdout:
            stdout_parts.append(line)
            if on_line is not None:
                on_line(line.rstrip("\n"))
        reader.join()
        returncode = proc.wait()
    return subprocess.CompletedProcess(argv, returncode, "".join(stdout_parts), "".join(stderr_parts))


def parse_outputs(state: str, text: str) -> TerraformOutputs:
    """The state's entry of `terraform output -json state_infrastructure_outputs`."""
    try:
        everything: Any = json.loads(text)
        entry = everything[state]
        return TerraformOutputs(
            state=state,
            table=str(entry["dynamodb_table"]),
            bucket=str(entry["s3_bucket"]),
            table_arn=str(entry["dynamodb_table_arn"]),
            bucket_arn=str(entry["s3_bucket_arn"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TerraformError(
            "output", 0, f"no outputs for {state} in {OUTPUT_NAME} (was it applied?): {text.strip()[:500]}"
        ) from exc
