"""terraform/bootstrap: the OIDC trust, and policies that cover exactly what the library and Terraform need.

The actions are derived from the code at test time (humangov_deploy.iam_actions), so a new call in the
library fails here until the policy allows it: `python -m humangov_deploy.iam_actions --write`.
The policy files are Terraform templates (partition, boundary ARN): the tests read them filled in for a
GovCloud account, as templatefile() in main.tf fills them in for the account the bootstrap runs in.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NoReturn

import hcl2
import pytest
from ci_helpers import BOOTSTRAP

from humangov_deploy import iam_actions as ia
from humangov_deploy import naming
from humangov_deploy.platforms.aws import spec

REGENERATE = "regenerate the policies: python -m humangov_deploy.iam_actions --write"
MANAGED_POLICY_MAX_CHARS = 6144  # IAM quota: a managed policy's JSON without whitespace


ACCOUNT = spec.Account("123456789012", "aws-us-gov", "us-gov-west-1")
VALUES = {"partition": ACCOUNT.partition, "permissions_boundary_arn": spec.permissions_boundary_arn(ACCOUNT)}


def _document(path: Path) -> dict[str, Any]:
    document = json.loads(ia.instantiate(path.read_text(encoding="utf-8"), **VALUES))
    assert document["Version"] == "2012-10-17"
    return dict(document)


def _policy(path: Path) -> list[dict[str, Any]]:
    return list(_document(path)["Statement"])


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


TEMPLATEFILE = re.compile(r'^\$\{templatefile\("\$\{path\.module\}/([^"]+)", (.*)\)\}$')


def _templates(resources: dict[tuple[str, str], dict[str, Any]]) -> dict[str, tuple[str, set[str]]]:
    """The policies main.tf renders: file name -> (aws_iam_policy's name, the variables it is given)."""
    given_by_local = set(_tf("main.tf")["locals"][0]["policy_variables"])
    out: dict[str, tuple[str, set[str]]] = {}
    for (rtype, name), body in resources.items():
        if rtype != "aws_iam_policy":
            continue
        match = TEMPLATEFILE.match(body["policy"])
        assert match, f"aws_iam_policy.{name} is not rendered with templatefile(): {body['policy']}"
        file, variables = match.groups()
        if variables == "local.policy_variables":
            out[file] = (name, given_by_local)
        else:
            assert variables.startswith("{"), variables
            out[file] = (name, set(re.findall(r"(\w+)\s*=", variables)))
    return out


def _variables() -> dict[str, dict[str, Any]]:
    return {_unq(k): v for entry in _tf("variables.tf")["variable"] for k, v in entry.items()}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


LIBRARY = _policy(ia.LIBRARY_POLICY) + _policy(ia.COMPUTE_POLICY)  # the library's two policies
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
        if "iam_actions" in path.parts:  # the scanner itself names operations as data
            continue
        for service, method in literal.findall(path.read_text(encoding="utf-8")):
            if service not in ia.boto3_services() or method in ia.LOCAL_CLIENT_METHODS:
                continue
            site = ia.CallSite(str(path), 0, service, method)
            for op in ia.operations_of(site) or []:
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
    assert unknown == set(), "add these resource types to iam_actions/catalog.py"
    assert ia.terraform_resource_types(), "terraform/ declares no resource: the scan reads the wrong folder"
    allowed = _allowed(TERRAFORM)
    assert sorted(a for a in needed if not _covered(a, allowed)) == [], REGENERATE


def test_no_action_beyond_what_is_needed() -> None:
    # Least privilege: every exact action is needed today, beside Terraform's refresh reads (TERRAFORM_READS,
    # on HumanGov's resources only); a wildcard only among those reads.
    refresh = set(ia.TERRAFORM_READS)
    for statements, needed in (
        (LIBRARY, ia.library_actions()),
        (TERRAFORM, ia.terraform_actions()[0] | refresh),
    ):
        exact = [a for a in _allowed(statements) if "*" not in a]
        assert sorted(set(exact) - needed) == [], REGENERATE
    wildcards = [a for a in _allowed(LIBRARY + TERRAFORM) if "*" in a]
    assert sorted(wildcards) == sorted(a for a in ia.TERRAFORM_READS if "*" in a)
    for st in TERRAFORM:
        if any("*" in a for a in _listify(st["Action"])):
            assert "*" not in _listify(st["Resource"])  # reads of HumanGov's resources only


# -- the shape of the policies ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", [ia.LIBRARY_POLICY, ia.COMPUTE_POLICY, ia.TERRAFORM_POLICY], ids=lambda p: p.name
)
def test_no_star_action_no_full_access_no_deny_tricks(path: Path) -> None:
    statements = _policy(path)
    for st in statements:
        assert "NotAction" not in st and "NotResource" not in st and "Principal" not in st
        for action in _listify(st["Action"]):
            service, _, name = action.partition(":")
            assert action != "*" and name not in ("*", ""), action
            assert re.fullmatch(r"[a-z0-9-]+", service), action
    # The only denies are the guards of the permissions boundary, and only the deploy policy has them.
    denies = [st for st in statements if st["Effect"] != "Allow"]
    guards = json.loads(ia.instantiate(json.dumps(ia.GUARDS), **VALUES))
    assert denies == (guards if path == ia.LIBRARY_POLICY else [])
    assert all(st["Effect"] == "Deny" for st in denies)
    assert "FullAccess" not in path.read_text(encoding="utf-8")


def test_no_full_access_anywhere_in_the_bootstrap() -> None:
    for path in sorted(BOOTSTRAP.iterdir()):
        if path.suffix in {".tf", ".json"}:
            assert "FullAccess" not in path.read_text(encoding="utf-8"), path.name
            assert not re.search(r"arn:aws:iam::aws:policy/", path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize(
    "path",
    [ia.LIBRARY_POLICY, ia.COMPUTE_POLICY, ia.TERRAFORM_POLICY, ia.BOUNDARY_POLICY],
    ids=lambda p: p.name,
)
def test_fits_a_managed_policy(path: Path) -> None:
    document = _document(path)  # filled in: GovCloud's partition is the longest
    assert len(json.dumps(document, separators=(",", ":"))) <= MANAGED_POLICY_MAX_CHARS
    sids = [st["Sid"] for st in document["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)


def test_data_and_iam_actions_are_scoped_to_humangov_resources() -> None:
    # What is allowed; a deny on "*" takes away more, not less.
    for st in [st for st in LIBRARY + TERRAFORM if st["Effect"] == "Allow"]:
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
        roles = [ia.instantiate(r, **VALUES) for r in ia.ROLE_ARNS]
        assert all(r in roles for r in _listify(st["Resource"]))
        assert st["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def test_the_nightly_role_cannot_change_its_own_permissions() -> None:
    variables = _variables()
    role_name = _unq(variables["role_name"]["default"])
    own_arn = ACCOUNT.arn("iam", f"role/{role_name}", regional=False)
    for st in LIBRARY + TERRAFORM:
        if st["Effect"] == "Allow" and any(a.startswith("iam:") for a in _listify(st["Action"])):
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
    policies = _templates(resources)
    assert sorted(policies) == sorted(
        p.name for p in (ia.LIBRARY_POLICY, ia.COMPUTE_POLICY, ia.TERRAFORM_POLICY, ia.BOUNDARY_POLICY)
    )
    attachments = [b for (rtype, _), b in resources.items() if rtype == "aws_iam_role_policy_attachment"]
    # The role gets the two derived policies; the boundary is for the roles the library makes, not this one.
    attached = {name for file, (name, _) in policies.items() if file != ia.BOUNDARY_POLICY.name}
    assert sorted(a["policy_arn"] for a in attachments) == sorted(
        f"${{aws_iam_policy.{n}.arn}}" for n in attached
    )
    role = resources[("aws_iam_role", "nightly")]
    assert role["max_session_duration"] == "${var.max_session_hours * 3600}"
    assert "inline_policy" not in role and "managed_policy_arns" not in role


def test_bootstrap_resources_are_tagged() -> None:
    provider = _tf("main.tf")["provider"][0]
    assert provider['"aws"']["default_tags"][0]["tags"] == "${local.tags}"


def test_terraform_fmt(infra_unavailable: Callable[[str], NoReturn]) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:  # a skip for a developer, a failure in CI (suites/infra.py)
        infra_unavailable("no terraform binary on this machine; ci.yml runs terraform fmt -check")
    result = subprocess.run([terraform, "fmt", "-check", "-diff", str(BOOTSTRAP)],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout


# -- one set of files for every partition (aws, aws-cn, aws-us-gov) -----------------------------------------
def test_the_files_are_what_the_generator_writes_today() -> None:
    for path, document in ia.render_policies().items():
        assert json.loads(path.read_text(encoding="utf-8")) == document, f"{path.name}: {REGENERATE}"


def test_no_file_of_the_bootstrap_names_a_partition() -> None:
    for path in sorted(BOOTSTRAP.iterdir()):
        if path.suffix in {".tf", ".json"}:
            assert not re.search(r"arn:aws[a-z-]*:", path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize(
    "path",
    [ia.LIBRARY_POLICY, ia.COMPUTE_POLICY, ia.TERRAFORM_POLICY, ia.BOUNDARY_POLICY],
    ids=lambda p: p.name,
)
def test_every_arn_takes_the_partition_of_the_account(path: Path) -> None:
    arns = [s for s in _strings(_document(path)) if s.startswith("arn:")]
    assert arns, path.name
    assert [a for a in arns if not a.startswith("arn:aws-us-gov:")] == []


def test_main_tf_fills_the_templates_with_aws_partition_and_the_boundary() -> None:
    main = _tf("main.tf")
    assert ("aws_partition", "current") in _blocks(main, "data")
    assert main["locals"][0]["policy_variables"] == {
        "partition": "${data.aws_partition.current.partition}",
        "permissions_boundary_arn": "${aws_iam_policy.permissions_boundary.arn}",
    }
    for file, (name, given) in _templates(_blocks(main, "resource")).items():
        used = set(re.findall(r"\$\{([^}]*)\}", (BOOTSTRAP / file).read_text(encoding="utf-8")))
        assert "partition" in used and used <= given, (
            f"aws_iam_policy.{name}: {file} uses {used}, given {given}"
        )
        assert used <= set(ia.TEMPLATE_VARIABLES)


def test_terraform_fills_the_templates_as_these_tests_do(
    tmp_path: Path, infra_unavailable: Callable[[str], NoReturn]
) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:  # a skip for a developer, a failure in CI (suites/infra.py)
        infra_unavailable("no terraform binary on this machine; instantiate() stands in for templatefile()")
    values = ", ".join(f'{k} = "{v}"' for k, v in VALUES.items())
    for path in (ia.LIBRARY_POLICY, ia.COMPUTE_POLICY, ia.TERRAFORM_POLICY, ia.BOUNDARY_POLICY):
        shutil.copy(path, tmp_path / path.name)
        # `terraform console` evaluates functions without a provider or an init.
        expression = f'jsonencode(jsondecode(templatefile("{path.name}", {{{values}}})))'
        result = subprocess.run([terraform, "console"], input=expression, cwd=tmp_path, capture_output=True,
                                text=True, timeout=60, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert json.loads(json.loads(result.stdout.strip().splitlines()[-1])) == _document(path), path.name


# -- the permissions boundary of the roles the library creates ---------------------------------------------
def test_the_bootstrap_creates_the_boundary_the_library_names() -> None:
    resources = _blocks(_tf("main.tf"), "resource")
    boundary = resources[("aws_iam_policy", "permissions_boundary")]
    assert _unq(boundary["name"]) == naming.PERMISSIONS_BOUNDARY
    assert "path" not in boundary  # at the root path, as permissions_boundary_arn() builds the ARN
    assert spec.permissions_boundary_arn(ACCOUNT) == (
        f"arn:aws-us-gov:iam::123456789012:policy/{naming.PERMISSIONS_BOUNDARY}"
    )
    assert _document(ia.BOUNDARY_POLICY) == spec.permissions_boundary_policy("aws-us-gov")
    outputs = {_unq(k): v for entry in _tf("outputs.tf")["output"] for k, v in entry.items()}
    assert outputs["permissions_boundary_arn"]["value"] == "${aws_iam_policy.permissions_boundary.arn}"


def test_roles_are_made_and_re_policied_only_with_the_boundary() -> None:
    boundary = VALUES["permissions_boundary_arn"]
    allows = [st for st in LIBRARY if st["Effect"] == "Allow"]
    for action in sorted(ia.BOUNDED):
        for st in [st for st in allows if _covered(action, _listify(st["Action"]))]:
            assert st["Condition"] == {"ArnEquals": {"iam:PermissionsBoundary": boundary}}, (
                action,
                st["Sid"],
            )
    for needed in ("iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"):
        assert any(_covered(needed, _listify(st["Action"])) for st in allows), needed
    denies = [st for st in LIBRARY if st["Effect"] == "Deny"]
    # No role made or re-policied with another boundary or none, whatever other policy the role gets.
    assert any(
        set(ia.BOUNDED) <= set(_listify(st["Action"]))
        and st["Resource"] == "*"
        and st["Condition"] == {"ArnNotEquals": {"iam:PermissionsBoundary": boundary}}
        for st in denies
    )
    assert any(
        _listify(st["Action"]) == ["iam:DeleteRolePermissionsBoundary"]
        and st["Resource"] == "*"
        and "Condition" not in st
        for st in denies
    )
    edits = [st for st in denies if _covered("iam:CreatePolicyVersion", _listify(st["Action"]))]
    assert [st["Resource"] for st in edits] == [boundary]


# -- ECS's service-linked role (made by the first CreateCluster of an account) ---------------------------
def test_the_bootstrap_makes_ecs_service_linked_role_unless_told_it_exists() -> None:
    role = _blocks(_tf("main.tf"), "resource")[("aws_iam_service_linked_role", "ecs")]
    assert _unq(role["aws_service_name"]) == "ecs.amazonaws.com"
    assert role["count"] == "${var.create_ecs_service_linked_role ? 1 : 0}"
    switch = _variables()["create_ecs_service_linked_role"]
    assert _unq(switch["type"]) in ("bool", "${bool}") and switch["default"] is True
    assert "false" in _unq(switch["description"])  # says what to do where the role exists


def test_the_library_may_create_ecs_service_linked_role_on_its_first_cluster() -> None:
    assert "iam:CreateServiceLinkedRole" in ia.with_implied({"ecs:CreateCluster"})
    (statement,) = [
        st
        for st in LIBRARY
        if st["Effect"] == "Allow" and _covered("iam:CreateServiceLinkedRole", _listify(st["Action"]))
    ]
    assert "ecs.amazonaws.com" in _listify(statement["Condition"]["StringEquals"]["iam:AWSServiceName"])
    assert statement["Resource"] == "arn:aws-us-gov:iam::*:role/aws-service-role/*"
