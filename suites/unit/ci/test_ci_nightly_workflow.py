"""nightly-acceptance.yml: the structure that makes an unattended run on a real account safe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ci_helpers import run_text, steps

ROLE_EXPR = "${{ vars.HUMANGOV_NIGHTLY_ROLE_ARN }}"


def _acceptance(nightly: dict[str, Any]) -> dict[str, Any]:
    return dict(nightly["jobs"]["acceptance"])


def _step(job: dict[str, Any], pattern: str) -> dict[str, Any]:
    found = [s for s in steps(job) if re.search(pattern, run_text(s) + str(s.get("uses", "")))]
    assert len(found) == 1, f"expected one step matching {pattern!r}, found {len(found)}"
    return found[0]


def _minutes(text: str) -> int:
    match = re.fullmatch(r"(\d+)([mh])", text)
    assert match, text
    return int(match[1]) * (60 if match[2] == "h" else 1)


def test_runs_on_a_schedule_and_by_hand_with_states_and_region(nightly: dict[str, Any]) -> None:
    on = nightly["on"]
    assert on["schedule"] and all(
        re.fullmatch(r"[\d*/,-]+( [\d*/,-]+){4}", c["cron"]) for c in on["schedule"]
    )
    inputs = on["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"states", "region", "rollout"}
    assert all(inputs[i]["type"] == "string" and inputs[i]["required"] is False for i in ("states", "region"))
    # The rollout is off by default (and on the schedule, where inputs are empty).
    assert inputs["rollout"] == {**inputs["rollout"], "type": "boolean", "required": False, "default": False}
    assert set(on) == {"schedule", "workflow_dispatch"}  # never on pull requests: they would reach AWS


def test_least_permissions_and_oidc_only_where_needed(nightly: dict[str, Any]) -> None:
    assert nightly["permissions"] == {}
    for name, job in nightly["jobs"].items():
        # plan reads inputs, explore runs on moto: neither needs AWS credentials.
        expected = {"contents": "read"} | ({"id-token": "write"} if name not in ("plan", "explore") else {})
        assert job["permissions"] == expected, name


@pytest.mark.parametrize("job_name", ["acceptance", "sweep", "rollout"])
def test_credentials_come_from_assuming_the_role_in_a_repository_variable(
    nightly: dict[str, Any], job_name: str
) -> None:
    job = nightly["jobs"][job_name]
    step = _step(job, r"^aws-actions/configure-aws-credentials@")
    assert step["with"]["role-to-assume"] == ROLE_EXPR
    assert not {k for k in step["with"] if "access-key" in k or "secret" in k or k == "aws-session-token"}
    # The session must outlive the job, or the teardown after a long run would have no credentials.
    assert step["with"]["role-duration-seconds"] >= job["timeout-minutes"] * 60
    # Steps before it install the project: nothing AWS-related may run before the role is assumed.
    index = steps(job).index(step)
    assert not any("humangov" in run_text(s) or "pytest" in run_text(s) for s in steps(job)[:index])


def test_matrix_over_planned_states_and_one_concurrency_group_per_state(nightly: dict[str, Any]) -> None:
    job = _acceptance(nightly)
    assert job["needs"] == "plan"
    assert job["strategy"]["matrix"]["state"] == "${{ fromJSON(needs.plan.outputs.states) }}"
    assert job["strategy"]["fail-fast"] is False  # one state's failure must not cancel another's teardown
    group = job["concurrency"]["group"]
    assert "${{ matrix.state }}" in group and "github.run_id" not in group
    assert job["concurrency"]["cancel-in-progress"] is False  # never cancel a run mid-teardown


def test_live_suite_runs_on_aws_requiring_live_with_a_junit_report(nightly: dict[str, Any]) -> None:
    job = _acceptance(nightly)
    live = _step(job, r"\bpytest\b")
    command = " ".join(run_text(live).split())
    for part in (
        "-m live",
        "--platform aws",
        "--require-live",
        '--state "$HUMANGOV_STATE"',
        '--junitxml="$REPORT"',
        # GitHub's runners have Google Chrome, not Debian's chromium: the browser test is told where it is.
        "HUMANGOV_CHROMIUM=/usr/bin/google-chrome",
        'HUMANGOV_CHROMEDRIVER="$CHROMEWEBDRIVER/chromedriver"',
    ):
        assert part in command, part
    assert job["env"]["HUMANGOV_STATE"] == "${{ matrix.state }}"
    assert job["env"]["REPORT"].endswith(".xml")


def test_report_becomes_the_job_summary_even_on_failure(nightly: dict[str, Any]) -> None:
    job = _acceptance(nightly)
    summary = _step(job, r"junit_summary\.py")
    assert summary["if"] == "always()"
    assert '"$REPORT"' in run_text(summary) and '>> "$GITHUB_STEP_SUMMARY"' in run_text(summary)


def test_teardown_and_sweep_always_run_with_their_own_timeout(nightly: dict[str, Any]) -> None:
    job = _acceptance(nightly)
    live = _step(job, r"\bpytest\b")
    teardown = _step(job, r"humangov destroy")
    assert steps(job).index(teardown) > steps(job).index(live)
    assert teardown["if"] == "always()"  # also after a failure, a timeout of the live step, a cancel
    script = run_text(teardown)
    assert re.search(
        r'humangov destroy --state "\$HUMANGOV_STATE" --platform aws --region "\$AWS_REGION"', script
    )
    # --state: the shared cluster and ECR repositories may still serve other matrix jobs.
    sweep = re.search(
        r'humangov sweep --older-than (\d+[mh]) --state "\$HUMANGOV_STATE" --region "\$AWS_REGION"', script
    )
    assert sweep, script
    # Both commands run even if the first fails, and the step still reports the failure.
    assert "|| status=1" in script and 'exit "$status"' in script
    # Budget: the live step times out first, leaving the teardown its whole timeout inside the job's.
    assert live["timeout-minutes"] + teardown["timeout-minutes"] < job["timeout-minutes"]
    # The sweep only takes what is older than any job could be: never another matrix job's live stack.
    assert _minutes(sweep[1]) > job["timeout-minutes"]


def test_inputs_reach_scripts_through_env_only(nightly: dict[str, Any]) -> None:
    # zizmor checks this too; here it is a rule of the file: no `${{ }}` inside any run script.
    for name, job in nightly["jobs"].items():
        for step in steps(job):
            assert "${{" not in run_text(step), (name, step.get("name"))
    plan_step = _step(nightly["jobs"]["plan"], r"nightly_states\.py")
    assert plan_step["env"]["STATES_INPUT"] == "${{ inputs.states }}"
    assert plan_step["env"]["REGION_INPUT"] == "${{ inputs.region }}"
    assert plan_step["env"]["ROLE_ARN"] == ROLE_EXPR
    assert "--require-role" in run_text(plan_step)


def test_one_full_sweep_after_every_state_whatever_their_outcome(nightly: dict[str, Any]) -> None:
    job = nightly["jobs"]["sweep"]
    assert set(job["needs"]) == {"plan", "acceptance", "rollout"}
    assert job["if"] == "always() && needs.plan.result == 'success'"
    (step,) = [s for s in steps(job) if "humangov sweep" in run_text(s)]
    sweep = re.fullmatch(
        r'humangov sweep --older-than (\d+[mh]) --region "\$AWS_REGION"', run_text(step).strip()
    )
    assert sweep, run_text(step)
    assert _minutes(sweep[1]) > _acceptance(nightly)["timeout-minutes"]
    assert step["timeout-minutes"] < job["timeout-minutes"]
    assert (
        "matrix" not in str(job.get("concurrency", {})) and job["concurrency"]["cancel-in-progress"] is False
    )


def test_rollout_only_when_asked_after_acceptance_then_teardown(nightly: dict[str, Any]) -> None:
    job = nightly["jobs"]["rollout"]
    assert set(job["needs"]) == {"plan", "acceptance"}  # never alongside a matrix job on the same states
    assert job["if"] == "always() && needs.plan.result == 'success' && inputs.rollout"
    assert job["env"]["STATES_JSON"] == "${{ needs.plan.outputs.states }}"
    roll = _step(job, r"humangov rollout")
    command = " ".join(run_text(roll).replace("\\\n", " ").split())
    for part in (
        "--platform aws",
        '--region "$AWS_REGION"',
        '--states "$states"',
        "--create-missing",
        "--json",
    ):
        assert part in command, part
    teardown = _step(job, r"humangov destroy")
    assert teardown["if"] == "always()" and steps(job).index(teardown) > steps(job).index(roll)
    assert "|| status=1" in run_text(teardown) and 'exit "$status"' in run_text(teardown)
    assert roll["timeout-minutes"] + teardown["timeout-minutes"] < job["timeout-minutes"]
    assert job["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("job_name", ["plan", "acceptance", "sweep", "rollout", "explore"])
def test_jobs_have_timeouts(nightly: dict[str, Any], job_name: str) -> None:
    assert 0 < nightly["jobs"][job_name]["timeout-minutes"] <= 120


def test_report_is_kept_as_an_artifact(nightly: dict[str, Any]) -> None:
    upload = _step(_acceptance(nightly), r"^actions/upload-artifact@")
    assert upload["if"] == "always()"
    assert upload["with"]["path"].rstrip("/") == "reports"


def test_the_schedule_explorer_runs_many_seeds_without_aws(nightly: dict[str, Any]) -> None:
    job = nightly["jobs"]["explore"]
    assert job["env"]["HUMANGOV_AWS_SEEDS"] == "200"
    assert "id-token" not in job["permissions"]  # moto only: no AWS credentials, no OIDC
    step = _step(job, r"test_aws_schedule_explorer")
    assert "pytest -m unit" in run_text(step) and step["timeout-minutes"] < job["timeout-minutes"]
