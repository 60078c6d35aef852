"""terraform/bootstrap: the OIDC trust, and policies that cover exactly what the library and Terraform need.

The actions are derived from the code at test time (humangov_deploy.iam_actions), so a new call in the
library fails here until the policy allows it: `python -m humangov_deploy.iam_actions --write`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import hcl2
import pytest
from ci_helpers import BOOTSTRAP

from humangov_deploy import iam_actions as ia

REGENERATE = "regenerate the policies: python -m humangov_deploy.iam_actions --write"
MANAGED_POLICY_MAX_CHARS = 6144  # IAM quota: a managed policy's JSON without whitespace


def _policy(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["Version"] == "2012-10-17"
    return list(document["Statement"])


def _listify(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _allowed(statements: list[dict[str, Any]]) -> list[str]:
    return [a for st in statements if st["Effect"] == "Allow" for a in _listify(st["Action"])]


def _covered(action: str, patterns: list[str]) -> bool:
    # IAM matches actions case-insensitively, with * and ? wildcards.
    return any(fnmatchcase(action.lower(), p.lower()) for p in patterns)


def _unq(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unq(v) for v in value]
    return value


def _tf(name: str) -> dict[str, Any]:
    with (BOOTSTRAP / name).open(encoding="utf-8") as handle:
        return dict(hcl2.load(handle))


def _blocks(tf: dict[str, Any], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in tf.get(kind, []):
        for rtype, named in entry.items():
            for name, body in named.items():
                out[(_unq(rtype), _unq(name))] = body
    return out


LIBRARY = _policy(ia.LIBRARY_POLICY)
TERRAFORM = _policy(ia.TERRAFORM_POLICY)


# -- coverage: derived from the code, at test time ----------------------------------------------------------
def test_the_scan_understands_every_call_site_of_the_library() -> None:
    found = ia.derive()
    assert found.sites, "no AWS call found in humangov_deploy: the scan is broken"
    assert [f"{s.path}:{s.line} {s.service}.{s.method}" for s in found.unresolved] == []


def test_the_scan_finds_every_literal_client_call() -> None:
    # A second, cruder reader: every `clients.<service>.<operation>(` written out in the source.
    literal = re.compile(r"\bclients\.([a-z0-9-]+)\.([a-z0-9_]+)\(")
    derived = set(ia.derive().actions)
    for path in sorted(ia.PACKAGE_DIR.rglob("*.py")):
        if path.name == "iam_actions.py":
            continue
        for service, method in literal.findall(path.read_text(encoding="utf-8")):
            if service not in ia.boto3_services() or method in ia.LOCAL_CLIENT_METHODS:
                continue
            site = ia.CallSite(str(path), 0, service, method)
            for op in ia._operations_of(site) or []:
                assert set(ia.iam_actions(service, op)) <= derived, f"{path.name}: clients.{service}.{method}"


def test_library_policy_allows_every_action_the_library_needs() -> None:
    needed = ia.library_actions()
    allowed = _allowed(LIBRARY)
    found = ia.derive().actions
    missing = {a: sorted({f"{s.path}:{s.line}" for s in found.get(a, [])}) or ["implied"]
               for a in sorted(needed) if not _covered(a, allowed)}  # fmt: skip
    assert missing == {}, REGENERATE


def test_terraform_policy_allows_what_the_provider_needs_for_terraform_resources() -> None:
    needed, unknown = ia.terraform_actions()
    assert unknown == set(), "add these resource types to TERRAFORM_RESOURCE_ACTIONS in iam_actions.py"
    assert ia.terraform_resource_types(), "terraform/ declares no resource: the scan reads the wrong folder"
    allowed = _allowed(TERRAFORM)
    assert sorted(a for a in needed if not _covered(a, allowed)) == [], REGENERATE


def test_no_action_beyond_what_is_needed() -> None:
    # Least privilege: every exact action is needed today; wildcards only for Terraform's refresh reads.
    for statements, needed in ((LIBRARY, ia.library_actions()), (TERRAFORM, ia.terraform_actions()[0])):
        exact = [a for a in _allowed(statements) if "*" not in a]
        assert sorted(set(exact) - needed) == [], REGENERATE
    wildcards = [a for a in _allowed(LIBRARY + TERRAFORM) if "*" in a]
    assert sorted(wildcards) == sorted(a for a in ia.TERRAFORM_READS if "*" in a)
    for st in TERRAFORM:
        if any("*" in a for a in _listify(st["Action"])):
            assert "*" not in _listify(st["Resource"])  # reads of HumanGov's resources only


# -- the shape of the policies ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [ia.LIBRARY_POLICY, ia.TERRAFORM_POLICY], ids=lambda p: p.name)
def test_no_star_action_no_full_access_no_deny_tricks(path: Path) -> None:
    statements = _policy(path)
    for st in statements:
        assert st["Effect"] == "Allow"
        assert "NotAction" not in st and "NotResource" not in st and "Principal" not in st
        for action in _listify(st["Action"]):
            service, _, name = action.partition(":")
            assert action != "*" and name not in ("*", ""), action
            assert re.fullmatch(r"[a-z0-9-]+", service), action
    assert "FullAccess" not in path.read_text(encoding="utf-8")


def test_no_full_access_anywhere_in_the_bootstrap() -> None:
    for path in sorted(BOOTSTRAP.iterdir()):
        if path.suffix in {".tf", ".json"}:
            assert "FullAccess" not in path.read_text(encoding="utf-8"), path.name
            assert not re.search(r"arn:aws:iam::aws:policy/", path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize("path", [ia.LIBRARY_POLICY, ia.TERRAFORM_POLICY], ids=lambda p: p.name)
def test_fits_a_managed_policy(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert len(json.dumps(document, separators=(",", ":"))) <= MANAGED_POLICY_MAX_CHARS
    sids = [st["Sid"] for st in document["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)


def test_data_and_iam_actions_are_scoped_to_humangov_resources() -> None:
    for st in LIBRARY + TERRAFORM:
        prefixes = {a.split(":")[0] for a in _listify(st["Action"])}
        resources = _listify(st["Resource"])
        if prefixes & {"s3", "dynamodb", "iam", "ssm"} and resources == ["*"]:
            assert set(_listify(st["Action"])) <= ia.UNSCOPED, st["Sid"]
        if "iam" in prefixes and resources != ["*"]:
            assert all("humangov" in r or "aws-service-role" in r for r in resources), st["Sid"]


def test_pass_role_only_humangov_roles_only_to_ecs_tasks() -> None:
    statements = [st for st in LIBRARY + TERRAFORM if _covered("iam:PassRole", _listify(st["Action"]))]
    assert statements, "the library registers task definitions with roles: it needs iam:PassRole"
    for st in statements:
        assert _listify(st["Action"]) == ["iam:PassRole"]
        assert "*" not in _listify(st["Resource"])
        assert all(r in ia.ROLE_ARNS for r in _listify(st["Resource"]))
        assert st["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def test_the_nightly_role_cannot_change_its_own_permissions() -> None:
    variables = {_unq(k): v for entry in _tf("variables.tf")["variable"] for k, v in entry.items()}
    role_name = _unq(variables["role_name"]["default"])
    own_arn = f"arn:aws:iam::123456789012:role/{role_name}"
    for st in LIBRARY + TERRAFORM:
        if any(a.startswith("iam:") for a in _listify(st["Action"])):
            assert not _covered(own_arn, [r for r in _listify(st["Resource"]) if r != "*"]), st["Sid"]
    assert "humangov-" in (BOOTSTRAP / "variables.tf").read_text(encoding="utf-8")  # the validation rule


# -- the Terraform of the bootstrap -------------------------------------------------------------------------
def test_bootstrap_is_a_standalone_root_module() -> None:
    versions = _tf("versions.tf")
    providers = versions["terraform"][0]["required_providers"][0]
    assert "aws" in providers
    main = _tf("main.tf")
    assert "module" not in main and "backend" not in json.dumps(versions)


def test_oidc_provider_for_github_with_the_sts_audience() -> None:
    main = _tf("main.tf")
    provider = _blocks(main, "resource")[("aws_iam_openid_connect_provider", "github")]
    assert provider["url"] == "${local.github_oidc_url}"
    assert _unq(main["locals"][0]["github_oidc_url"]) == "https://token.actions.githubusercontent.com"
    assert _unq(provider["client_id_list"]) == ["sts.amazonaws.com"]


def test_trust_only_this_repository_on_its_default_branch() -> None:
    main = _tf("main.tf")
    trust = _blocks(main, "data")[("aws_iam_policy_document", "trust")]
    (statement,) = trust["statement"]
    assert _unq(statement["actions"]) == ["sts:AssumeRoleWithWebIdentity"]
    assert _unq(statement["principals"][0]["type"]) == "Federated"
    conditions = {_unq(c["variable"]): c for c in statement["condition"]}
    aud = conditions["token.actions.githubusercontent.com:aud"]
    sub = conditions["token.actions.githubusercontent.com:sub"]
    assert _unq(aud["test"]) == "StringEquals" and _unq(aud["values"]) == ["sts.amazonaws.com"]
    assert _unq(sub["test"]) == "StringEquals"  # StringLike with * would let other repositories in
    assert sub["values"] == ["${local.subject}"]
    subject = _unq(main["locals"][0]["subject"])
    assert subject == "repo:${local.owner}/${local.repo}:ref:refs/heads/${var.branch}"
    assert "*" not in subject


def test_role_gets_both_derived_policies_and_a_bounded_session() -> None:
    resources = _blocks(_tf("main.tf"), "resource")
    policies = {
        name: body["policy"] for (rtype, name), body in resources.items() if rtype == "aws_iam_policy"
    }
    assert sorted(policies.values()) == sorted(
        '${file("${path.module}/' + p.name + '")}' for p in (ia.LIBRARY_POLICY, ia.TERRAFORM_POLICY)
    )
    attachments = [b for (rtype, _), b in resources.items() if rtype == "aws_iam_role_policy_attachment"]
    assert sorted(a["policy_arn"] for a in attachments) == sorted(
        f"${{aws_iam_policy.{name}.arn}}" for name in policies
    )
    role = resources[("aws_iam_role", "nightly")]
    assert role["max_session_duration"] == "${var.max_session_hours * 3600}"
    assert "inline_policy" not in role and "managed_policy_arns" not in role


def test_bootstrap_resources_are_tagged() -> None:
    provider = _tf("main.tf")["provider"][0]
    assert provider['"aws"']["default_tags"][0]["tags"] == "${local.tags}"


def test_terraform_fmt() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on this machine; ci.yml runs terraform fmt -check")
    result = subprocess.run([terraform, "fmt", "-check", "-diff", str(BOOTSTRAP)],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout
