"""`humangov deploy` then `humangov destroy` for texas on the aws platform, against moto's server.

The issue's "done when": every resource is created with its configuration, then every one is removed.
Through the CLI's `main`, over real HTTP to 127.0.0.1, with prebuilt image URIs (no Docker) and the
emulator's default wait (`stable`, as `--endpoint-url` implies): moto registers no targets behind its load
balancers (ECS starts no tasks there), so `healthy` could never be reached; the full wait is covered on
scripted fakes (platforms/test_aws_wait.py).
"""

from __future__ import annotations

import json

import pytest

from humangov_deploy.cli import main
from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import CLUSTER
from suites.unit.platforms.aws.aws_testkit import APP_IMAGE, NGINX_IMAGE, inventory

EXPECTED_KINDS = {
    "bucket",
    "log-group",
    "load-balancer",
    "parameter",
    "role",
    "security-group",
    "service",
    "table",
    "target-group",
    "task-definition",
}


@pytest.mark.slow
def test_deploy_then_destroy_texas_on_moto_server(
    moto_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--state", "texas", "--platform", "aws", "--endpoint-url", moto_server, "--region", "us-east-1"]
    code = main(
        [
            "deploy",
            *common,
            "--data",
            "boto3",
            "--app-image",
            APP_IMAGE,
            "--nginx-image",
            NGINX_IMAGE,
            "--timeout",
            "120",
            "--run-id",
            "e2e-run",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "texas is up at http://humangov-texas-lb" in out

    clients = AwsClients(region="us-east-1", endpoint_url=moto_server)
    created = inventory(clients, "texas")
    assert {entry.split(" ")[0] for entry in created} >= EXPECTED_KINDS
    td = clients.ecs.describe_task_definition(taskDefinition="humangov-texas-fullstack")["taskDefinition"]
    assert (td["cpu"], td["memory"], td["containerDefinitions"][0]["image"]) == ("1024", "3072", APP_IMAGE)
    cluster = clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]
    assert cluster["status"] == "ACTIVE"

    assert main(["status", *common, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "texas" and status["url"].startswith("http://humangov-texas-lb")
    assert status["table"] == "humangov-texas-dynamodb"

    # No --data: destroy removes the data the way the deploy recorded it made them (boto3).
    assert main(["destroy", *common, "--timeout", "120"]) == 0
    assert "texas: destroyed on aws" in capsys.readouterr().out
    assert inventory(clients, "texas") == []
    assert [c["status"] for c in clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"]] == [
        "INACTIVE"
    ]
    assert main(["status", *common]) == 3  # not deployed
    capsys.readouterr()

    # A second destroy finds nothing and succeeds.
    assert main(["destroy", *common, "--timeout", "120"]) == 0


def test_waiting_for_healthy_targets_on_moto_fails_fast_with_a_hint(
    moto_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--state", "utah", "--platform", "aws", "--endpoint-url", moto_server]
    images = ["--app-image", APP_IMAGE, "--nginx-image", NGINX_IMAGE]
    assert main(["deploy", *common, "--data", "boto3", *images, "--wait", "healthy", "--timeout", "120"]) == 1
    assert "use --wait stable" in capsys.readouterr().err
    assert main(["destroy", *common]) == 0
    assert inventory(AwsClients(region="us-east-1", endpoint_url=moto_server), "utah") == []
