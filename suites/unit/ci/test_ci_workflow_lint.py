"""Both workflows pass GitHub's workflow schema and zizmor's audit, offline; every action is pinned."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from ci_helpers import GITHUB_DIR, WORKFLOWS, tool

WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_both_workflows_exist() -> None:
    assert {p.name for p in WORKFLOW_FILES} >= {"ci.yml", "nightly-acceptance.yml"}


def test_workflows_match_githubs_schema() -> None:
    # The schema ships inside check-jsonschema (--builtin-schema): no download, so this runs offline.
    result = _run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                  *map(str, WORKFLOW_FILES))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_config_matches_its_schema_and_updates_the_pinned_actions() -> None:
    path = GITHUB_DIR / "dependabot.yml"
    result = _run(tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "package-ecosystem: github-actions" in path.read_text(encoding="utf-8")


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    # Proves the check above can fail: `runs-on` missing, an unknown key in a step.
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    steps:\n      - rum: echo\n", encoding="utf-8")
    result = _run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad))
    assert result.returncode != 0


def _zizmor(target: Path) -> tuple[int, list[dict[str, object]]]:
    result = _run(tool("zizmor"), "--offline", "--no-config", "--persona", "auditor", "--format", "json",
                  str(target))  # fmt: skip
    findings = json.loads(result.stdout or "[]")
    return result.returncode, findings


def test_zizmor_finds_nothing_even_as_auditor() -> None:
    # The auditor persona is zizmor's strictest (it also reports likely false positives).
    code, findings = _zizmor(GITHUB_DIR)  # the workflows and dependabot.yml
    summary = [f"{f.get('ident')}: {f.get('desc')}" for f in findings]
    assert findings == [], summary
    assert code == 0


def test_zizmor_flags_template_injection_and_unpinned_actions(tmp_path: Path) -> None:
    # The audit is real: an input expanded inside a script and a tag-pinned action are both reported.
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on:\n  workflow_dispatch:\n    inputs:\n      states: {type: string}\n"
        "permissions: {}\n"
        "jobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ inputs.states }}\n",
        encoding="utf-8",
    )
    code, findings = _zizmor(bad)
    idents = {f.get("ident") for f in findings}
    assert code != 0
    assert {"template-injection", "unpinned-uses"} <= idents, idents


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_noted(path: Path) -> None:
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", path.read_text(encoding="utf-8"), re.M)
    assert uses, "no action used: the test reads the wrong file"
    for ref, rest in uses:
        assert PINNED.match(ref), f"{ref}: pin the full commit SHA, not a tag or branch"
        assert re.search(r"#\s*v\d+(\.\d+)*", rest), f"{ref}: add the version as a comment (# vX.Y.Z)"


def test_the_same_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for ref in re.findall(r"uses:\s*(\S+)", path.read_text(encoding="utf-8")):
            action, _, sha = ref.partition("@")
            pins.setdefault(action, set()).add(sha)
    assert pins
    assert {a: s for a, s in pins.items() if len(s) > 1} == {}


def test_no_stored_aws_keys_anywhere_in_github_dir() -> None:
    # Credentials come from OIDC only: no access-key inputs, secrets or variables under .github/.
    pattern = re.compile(r"aws[-_]?(access[-_]?key|secret[-_]?access)|AKIA[0-9A-Z]{16}", re.I)
    offenders = [
        f"{path.relative_to(GITHUB_DIR)}:{n}: {line.strip()}"
        for path in sorted(GITHUB_DIR.rglob("*"))
        if path.is_file() and path.suffix in {".yml", ".yaml", ".py", ".json", ".sh", ".md"}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_no_secrets_context_at_all(path: Path) -> None:
    # Neither workflow needs a stored secret: AWS through OIDC, the rest needs nothing.
    assert "secrets." not in path.read_text(encoding="utf-8")
