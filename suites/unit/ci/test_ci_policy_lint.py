"""parliament (duo-labs' IAM policy linter, not ours) over every policy the project writes, and each tag
condition of the deploy policy checked against the Service Authorization Reference as parliament ships it.

Findings that stay are listed in ACCEPTED with their reason, and each is explained in docs/nightly.md; any
other finding fails. The policies: the three files of terraform/bootstrap/ (filled in as Terraform does),
and, for a state, the task role's and execution role's policies (parliament reads no trust policy:
test_aws_role_trust.py pins that one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from parliament import analyze_policy_string, iam_definition

from humangov_deploy import iam_actions as ia
from humangov_deploy.iam_actions import render
from humangov_deploy.platforms.aws import spec

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = spec.Account("123456789012", "aws", "us-east-1")
BOUNDARY = spec.permissions_boundary_arn(ACCOUNT)
TABLE = "humangov-texas-dynamodb"
BUCKET = "humangov-texas-s3-abcd"
REFS = spec.DataRefs(TABLE, BUCKET, ACCOUNT.arn("dynamodb", f"table/{TABLE}"), f"arn:aws:s3:::{BUCKET}")
IMAGE = f"{ACCOUNT.id}.dkr.ecr.us-east-1.amazonaws.com/humangov-app@sha256:{'a' * 64}"

# (policy, parliament issue, what it names or None) -> why it stays. docs/nightly.md explains each issue.
ACCEPTED = {
    ("deploy", "RESOURCE_POLICY_PRIVILEGE_ESCALATION", None): "it writes each bucket's TLS-only policy",
    ("terraform", "RESOURCE_POLICY_PRIVILEGE_ESCALATION", None): "it writes each bucket's TLS-only policy",
    ("deploy", "PERMISSIONS_MANAGEMENT_ACTIONS", None): "it makes each state's roles, under the boundary",
    ("terraform", "PERMISSIONS_MANAGEMENT_ACTIONS", None): "it writes each bucket's TLS-only policy",
    ("deploy", "CREDENTIALS_EXPOSURE", None): "ecr:GetAuthorizationToken is how docker logs in to ECR",
    ("boundary", "CREDENTIALS_EXPOSURE", None): "a task's execution role pulls its images from ECR",
    ("execution", "CREDENTIALS_EXPOSURE", None): "a task's execution role pulls its images from ECR",
    # The reference gives ListTasks a container-instance resource, which Fargate tasks do not have.
    ("compute", "RESOURCE_STAR", "ecs:ListTasks"): "ListTasks names no resource of a Fargate service",
    # DeleteListener/ModifyListener take an application OR a network load balancer's listener; parliament
    # reports the network one (listener/net) as missing although only one of the two applies.
    ("compute", "RESOURCE_MISMATCH", "listener/net"): "HumanGov makes application load balancers only",
    # parliament reads an older copy of ELBv2's AddTags, without the CreateAction key the current one has
    # (test_every_tag_condition_is_one_iam_evaluates_for_its_actions reads every copy).
    ("compute", "UNKNOWN_CONDITION_FOR_ACTION", "elasticloadbalancing:CreateAction"): "an older ELBv2 entry",
}


def _what(issue: str, detail: Any) -> str | None:
    """What a finding names, to tell an accepted one from a new one of the same issue."""
    if issue == "RESOURCE_STAR":
        return ",".join(sorted(detail))
    if issue == "RESOURCE_MISMATCH":
        kinds = {
            "listener/net" if "listener/net/" in d["required_format"] else d["required_format"]
            for d in detail
        }
        return ",".join(sorted(kinds))
    if issue == "UNKNOWN_CONDITION_FOR_ACTION":
        return str(detail).split("Unknown condition ", 1)[1].split(" ", 1)[0]
    return None


def _bootstrap(path: Path) -> str:
    return ia.instantiate(
        path.read_text(encoding="utf-8"), partition="aws", permissions_boundary_arn=BOUNDARY
    )


def policies() -> dict[str, str]:
    execution = spec.execution_role_policy(
        account=ACCOUNT,
        log_group_arn=ACCOUNT.arn("logs", "log-group:/ecs/humangov-texas"),
        secret_arn=ACCOUNT.arn("ssm", "parameter/humangov/texas/secret-key"),
        images=[IMAGE],
    )
    return {
        "deploy": _bootstrap(ia.LIBRARY_POLICY),
        "compute": _bootstrap(ia.COMPUTE_POLICY),
        "terraform": _bootstrap(ia.TERRAFORM_POLICY),
        "boundary": _bootstrap(ia.BOUNDARY_POLICY),
        "task": json.dumps(spec.task_role_policy(REFS)),
        "execution": json.dumps(execution),
    }


def findings(name: str, text: str) -> set[tuple[str, str, str | None]]:
    analyzed = analyze_policy_string(text, include_community_auditors=True)
    return {(name, f.issue, _what(f.issue, f.detail)) for f in analyzed.findings}


@pytest.mark.parametrize("name", ["deploy", "compute", "terraform", "boundary", "task", "execution"])
def test_parliament_finds_nothing_but_what_is_accepted(name: str) -> None:
    found = findings(name, policies()[name])
    assert sorted(found - set(ACCEPTED), key=str) == []


def test_every_accepted_finding_is_explained_in_the_nightly_page() -> None:
    page = (REPO / "docs" / "nightly.md").read_text(encoding="utf-8")
    assert sorted({issue for _, issue, _ in ACCEPTED if issue not in page}) == []


def test_parliament_finds_what_it_is_for() -> None:
    """The linter is live here: it flags a String operator on an ARN key and a mismatched resource."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*",
             "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}},
            {"Effect": "Allow", "Action": "dynamodb:DescribeEndpoints", "Resource": REFS.table_arn},
        ],
    }  # fmt: skip
    issues = {issue for _, issue, _ in findings("bad", json.dumps(bad))}
    assert {"MISMATCHED_TYPE_BUT_USABLE", "RESOURCE_MISMATCH"} <= issues


# -- the deploy policy's tag conditions, against the Service Authorization Reference (parliament's copy) --


def _privileges(action: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every entry of the action in the reference (parliament keeps two of ELBv2: an older and a current)."""
    prefix, name = action.split(":")
    found = [
        (service, privilege)
        for service in iam_definition
        if service["prefix"] == prefix
        for privilege in service["privileges"]
        if privilege["privilege"] == name
    ]
    assert found, f"{action} is not in the Service Authorization Reference"
    return found


def condition_keys(action: str) -> set[str]:
    """The keys IAM can evaluate for `action`: the action's own and those of the resource types it takes."""
    keys: set[str] = set()
    for service, privilege in _privileges(action):
        keys |= {key for rt in privilege["resource_types"] for key in rt["condition_keys"]}
        for rt in privilege["resource_types"]:
            name = rt["resource_type"].strip("*")
            keys |= {k for r in service["resources"] if r["resource"] == name for k in r["condition_keys"]}
    return {k.replace("${TagKey}", render.MANAGED_TAG) for k in keys}


def takes_a_resource(action: str) -> bool:
    return any(rt["resource_type"].strip("*") for _, p in _privileges(action) for rt in p["resource_types"])


def access_level(action: str) -> str:
    return str(_privileges(action)[-1][1]["access_level"])


def governed_statements() -> list[dict[str, Any]]:
    document = json.loads(policies()["compute"])
    return [
        st for st in document["Statement"]
        if st["Effect"] == "Allow" and st["Action"][0].split(":")[0] in render.TAG_GOVERNED
    ]  # fmt: skip


def test_every_tag_condition_is_one_iam_evaluates_for_its_actions() -> None:
    unsupported = [
        f"{action}: {key}"
        for st in governed_statements()
        for keys in st.get("Condition", {}).values()
        for key in keys
        for action in st["Action"]
        if key not in condition_keys(action)
    ]
    assert unsupported == []


def test_only_reads_and_resourceless_actions_go_without_a_condition() -> None:
    loose = [
        action
        for st in governed_statements()
        if "Condition" not in st
        for action in st["Action"]
        if takes_a_resource(action) and access_level(action) not in ("List", "Read")
    ]
    assert loose == []


def test_no_change_of_ec2_ecs_or_elb_is_allowed_on_an_untagged_resource() -> None:
    """Every Write or Tagging action of the three services is conditioned (tags, create action or cluster)."""
    unconditioned = [
        action
        for st in governed_statements()
        if "Condition" not in st
        for action in st["Action"]
        if access_level(action) in ("Write", "Tagging", "Permissions management")
        and action not in render.NO_RESOURCE
    ]
    assert unconditioned == []


def test_the_actions_said_to_take_no_resource_take_none_but_listtasks() -> None:
    """NO_RESOURCE is the reference's (ListTasks: a container instance, which Fargate tasks have none of)."""
    assert sorted(a for a in render.NO_RESOURCE if takes_a_resource(a)) == ["ecs:ListTasks"]


def test_ecr_is_scoped_to_humangovs_repositories() -> None:
    document = json.loads(policies()["deploy"])
    ecr = [st for st in document["Statement"] if any(a.startswith("ecr:") for a in st["Action"])]
    for st in ecr:
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if st["Action"] != ["ecr:GetAuthorizationToken"] and "ecr:GetAuthorizationToken" not in st["Action"]:
            assert resources == ["arn:aws:ecr:*:*:repository/humangov-*"], st["Sid"]
        else:
            assert [a for a in st["Action"] if a.startswith("ecr:")] == ["ecr:GetAuthorizationToken"], st[
                "Sid"
            ]
