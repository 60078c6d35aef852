"""AwsPlatform.stop_task: the failover drill's StopTask, scripted with botocore's Stubber."""

from __future__ import annotations

import pytest
from aws_testkit import moto_platform
from botocore.stub import Stubber

from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError
from humangov_deploy.naming import CLUSTER


def test_stop_task_stops_that_task_in_the_shared_cluster_with_a_reason() -> None:
    clients = AwsClients(region="us-east-1")
    platform = moto_platform(clients)
    with Stubber(clients.ecs) as stub:
        stub.add_response(
            "stop_task",
            {"task": {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/humangov-cluster/abc"}},
            {"cluster": CLUSTER, "task": "abc", "reason": "humangov: texas task stopped on request"},
        )
        platform.stop_task("texas", "abc")
        stub.assert_no_pending_responses()


def test_stop_task_of_an_unknown_task_is_an_aws_call_error() -> None:
    clients = AwsClients(region="us-east-1")
    platform = moto_platform(clients)
    with Stubber(clients.ecs) as stub:
        stub.add_client_error(
            "stop_task", service_error_code="InvalidParameterException", service_message="no task"
        )
        with pytest.raises(AwsCallError, match="StopTask"):
            platform.stop_task("texas", "nope")
