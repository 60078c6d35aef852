"""humangov_deploy.iam_actions: how call sites in source become IAM actions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from humangov_deploy import iam_actions as ia
from humangov_deploy.iam_actions.__main__ import main as iam_actions_main


def _actions(source: str) -> set[str]:
    sites = ia.scan_source(textwrap.dedent(source))
    found: set[str] = set()
    for site in sites:
        ops = ia.operations_of(site)
        assert ops is not None, site
        for op in ops:
            found.update(ia.iam_actions(site.service, op))
    return found


def _unresolved(source: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return [f"{s.service}.{s.method}" for s in ia.derive([path]).unresolved]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("clients.ecs.create_service(cluster='c')", {"ecs:CreateService"}),
        ("self.clients.elbv2.create_load_balancer(Name='x')", {"elasticloadbalancing:CreateLoadBalancer"}),
        ("self._clients.logs.put_retention_policy()", {"logs:PutRetentionPolicy"}),
        ("aws_clients.client('ecs').describe_services()", {"ecs:DescribeServices"}),
        # A variable named like the service, and any name bound to a client expression.
        ("ecs = clients.ecs\necs.update_service()", {"ecs:UpdateService"}),
        ("tagging = clients.resourcegroupstaggingapi\ntagging.get_resources()", {"tag:GetResources"}),
        ("self._iam = clients.iam\ndef f(self):\n    self._iam.get_role(RoleName='r')", {"iam:GetRole"}),
        ("def f(c: AwsClients) -> None:\n    c.s3.list_objects_v2(Bucket='b')", {"s3:ListBucket"}),
        # Referenced, not called: a table of bound methods called later.
        ("s3 = clients.s3\ncalls = [('V', s3.put_bucket_versioning, {})]", {"s3:PutBucketVersioning"}),
        ("clients.s3.get_paginator('list_object_versions').paginate()", {"s3:ListBucketVersions"}),
        ("clients.ecs.get_waiter('services_stable').wait()", {"ecs:DescribeServices"}),
        (
            "dynamodb = clients.dynamodb\ndynamodb.get_waiter(waiter_name='table_not_exists')",
            {"dynamodb:DescribeTable"},
        ),
        ("clients.s3.generate_presigned_url('get_object', Params={})", {"s3:GetObject"}),
        ("clients.s3.generate_presigned_url(ClientMethod='put_object')", {"s3:PutObject"}),
        ("clients.s3.upload_fileobj(f, 'b', 'k')", {"s3:PutObject", "s3:AbortMultipartUpload"}),
        ("clients.s3.delete_objects(Bucket='b', Delete={})", {"s3:DeleteObject", "s3:DeleteObjectVersion"}),
        ("clients.s3.put_public_access_block()", {"s3:PutBucketPublicAccessBlock"}),
        ("clients.s3.list_buckets()", {"s3:ListAllMyBuckets"}),
        # A bare service name counts only for a real operation: a list named logs is no client.
        ("logs = []\nlogs.append('x')\nconfig = {}\nconfig.get('a')", set()),
        ("ec2.describe_subnets()", {"ec2:DescribeSubnets"}),
        # Client helpers that are not AWS operations need nothing.
        ("clients.ecs.exceptions.ClientError\nclients.ecs.meta.region_name\nclients.ecs.close()", set()),
        # Not a client: an attribute that merely ends like a service.
        ("self.settings.ecs_cluster\nobj.s3_bucket.upper()", set()),
    ],
)
def test_call_sites_become_iam_actions(source: str, expected: set[str]) -> None:
    assert _actions(source) == expected


def test_aliases_defined_after_use_still_count() -> None:
    source = (
        "def later(self):\n    self._tg.create_target_group()\ndef __init__(self, c):\n    self._tg = c.elbv2"
    )
    # `c` is not known as AwsClients here, so add the annotation the house style uses.
    assert _actions(source.replace("(self, c)", "(self, c: AwsClients)")) == {
        "elasticloadbalancing:CreateTargetGroup"
    }


@pytest.mark.parametrize(
    ("source", "unresolved"),
    [
        ("clients.ecs.create_servce()", ["ecs.create_servce"]),  # a typo would silently drop an action
        ("clients.ecs.get_paginator(name)", ["ecs.get_paginator:None"]),  # not a literal: cannot be read
        ("clients.ecs.get_waiter('no_such_waiter')", ["ecs.get_waiter:no_such_waiter"]),
    ],
)
def test_calls_the_scan_cannot_map_are_reported(source: str, unresolved: list[str], tmp_path: Path) -> None:
    assert _unresolved(source, tmp_path) == unresolved


def test_iam_prefixes_follow_botocore_with_few_exceptions() -> None:
    assert ia.iam_actions("elbv2", "CreateListener") == ("elasticloadbalancing:CreateListener",)
    assert ia.iam_actions("resourcegroupstaggingapi", "GetResources") == ("tag:GetResources",)
    assert ia.iam_actions("logs", "CreateLogGroup") == ("logs:CreateLogGroup",)
    assert ia.iam_actions("s3", "HeadObject") == ("s3:GetObject",)


def test_implied_actions() -> None:
    implied = ia.with_implied({"ecs:RegisterTaskDefinition", "ecr:GetAuthorizationToken"})
    assert {"iam:PassRole", "ecs:TagResource", "ecr:PutImage", "ecr:UploadLayerPart"} <= implied
    assert ia.with_implied({"ec2:DescribeVpcs"}) == {"ec2:DescribeVpcs"}


def test_terraform_actions_by_resource_type() -> None:
    actions, unknown = ia.terraform_actions({"aws_s3_bucket", "random_string", "aws_kinesis_stream"})
    assert unknown == {"aws_kinesis_stream"}
    assert {
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:DeleteObjectVersion",
        "sts:GetCallerIdentity",
    } <= actions
    assert not any(a.startswith("random") for a in actions)


def test_terraform_resource_types_skip_the_bootstrap(tmp_path: Path) -> None:
    (tmp_path / "bootstrap").mkdir()
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n', encoding="utf-8")
    (tmp_path / "bootstrap" / "main.tf").write_text('resource "aws_iam_role" "r" {}\n', encoding="utf-8")
    # terraform_resource_types skips only the real bootstrap folder; here both are read.
    assert ia.terraform_resource_types(tmp_path) == {"aws_s3_bucket", "aws_iam_role"}
    assert "aws_iam_openid_connect_provider" not in ia.terraform_resource_types()


def test_cli_lists_actions(capsys: pytest.CaptureFixture[str]) -> None:
    code = iam_actions_main(["--sites"])
    out = capsys.readouterr().out.splitlines()
    assert out and all(":" in line.split()[0] for line in out)
    assert code == (1 if ia.derive().unresolved else 0)


def test_the_app_modules_the_library_runs_are_followed_through_their_imports(tmp_path: Path) -> None:
    (tmp_path / "accounts.py").write_text("from . import tokens\nfrom .store import put\nimport json\n")
    (tmp_path / "audit.py").write_text("from . import schema\n")
    for name in ("tokens", "store", "schema", "flask_view"):
        (tmp_path / f"{name}.py").write_text("from .schema import X\n" if name == "store" else "")
    found = [p.name for p in ia.app_modules_run_by_library(tmp_path)]
    assert found == ["accounts.py", "audit.py", "schema.py", "store.py", "tokens.py"]  # not flask_view.py
