"""Turn the nightly job's inputs into a validated state matrix and region (standard library only).

Runs in the `plan` job before anything is installed. Inputs come through environment variables, never
through `${{ }}` inside a script, so a crafted input cannot inject shell; each state must be one of the
app's 50 slugs (containers/app/humangov/states.py) and the region must look like an AWS region.

    STATES_INPUT="california, texas" python3 .github/scripts/nightly_states.py --github-output out.txt
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATES_FILE = ROOT / "containers" / "app" / "humangov" / "states.py"
# Two states on opposite coasts: enough to prove silo isolation side by side, cheap enough for a nightly.
DEFAULT_STATES = ("california", "texas")
DEFAULT_REGION = "us-east-1"
MAX_STATES = 10  # a guard on cost: each state is a full stack (ALB, two Fargate tasks) for half an hour
REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
ROLE_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]+$")


class InputError(ValueError):
    pass


def known_states(path: Path = STATES_FILE) -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("_humangov_states", path)
    if spec is None or spec.loader is None:
        raise InputError(f"cannot load the state list from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.STATES)


def parse_states(raw: str, known: tuple[str, ...], default: tuple[str, ...] = DEFAULT_STATES) -> list[str]:
    """`"california, new-york"`, `"california texas"` or `'["ohio"]'` -> a de-duplicated list of slugs."""
    raw = raw.strip()
    if not raw:
        items = list(default)
    elif raw.startswith("["):
        try:
            loaded = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"states: not a JSON list: {exc}") from exc
        if not isinstance(loaded, list) or not all(isinstance(x, str) for x in loaded):
            raise InputError("states: a JSON list must hold strings only")
        items = loaded
    else:
        items = [part for part in re.split(r"[\s,]+", raw) if part]
    states: list[str] = []
    for item in items:
        slug = item.strip().lower().replace("_", "-")
        if slug not in known:
            raise InputError(f"states: unknown state {item!r} (use slugs such as california or new-york)")
        if slug not in states:
            states.append(slug)
    if not states:
        raise InputError("states: no state given")
    if len(states) > MAX_STATES:
        raise InputError(f"states: {len(states)} states given, at most {MAX_STATES} per run")
    return states


def parse_region(raw: str, default: str = DEFAULT_REGION) -> str:
    region = raw.strip() or default
    if not REGION_RE.match(region):
        raise InputError(f"region: {region!r} is not an AWS region name such as us-east-1")
    return region


def check_role(raw: str) -> str:
    """The role ARN is configuration, not a secret; a missing one is a setup step not yet done."""
    if not raw.strip():
        raise InputError(
            "the repository variable HUMANGOV_NIGHTLY_ROLE_ARN is not set: apply terraform/bootstrap and set "
            "it to the output nightly_role_arn (README: Nightly acceptance on AWS)"
        )
    if not ROLE_ARN_RE.match(raw.strip()):
        raise InputError(f"HUMANGOV_NIGHTLY_ROLE_ARN {raw.strip()!r} is not an IAM role ARN")
    return raw.strip()


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--github-output", help="append states=<json> and region=<name> to this file")
    parser.add_argument("--require-role", action="store_true", help="fail unless $ROLE_ARN holds a role ARN")
    args = parser.parse_args(argv)
    try:
        if args.require_role:
            check_role(env.get("ROLE_ARN", ""))
        default_states = tuple(s for s in re.split(r"[\s,]+", env.get("DEFAULT_STATES", "")) if s)
        states = parse_states(env.get("STATES_INPUT", ""), known_states(), default_states or DEFAULT_STATES)
        region = parse_region(env.get("REGION_INPUT", ""), env.get("DEFAULT_REGION", "") or DEFAULT_REGION)
    except InputError as exc:
        print(f"::error title=nightly inputs::{exc}", file=sys.stderr)
        return 2
    lines = [f"states={json.dumps(states)}", f"region={region}"]
    if args.github_output:
        with open(args.github_output, "a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
