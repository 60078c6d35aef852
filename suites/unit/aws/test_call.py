"""ClientError -> AwsError translation, and botocore's standard retry mode still retrying throttling."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws.call import AwsError, aws_call
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError


def client_error(code: str, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "DoThing")


def test_errors_become_aws_errors_with_code_and_message() -> None:
    with pytest.raises(AwsCallError) as caught, aws_call("ecs", "DoThing"):
        raise client_error("AccessDeniedException", "not allowed")
    error = caught.value
    assert isinstance(error, AwsError)
    assert (error.service, error.operation, error.code, error.message) == (
        "ecs",
        "DoThing",
        "AccessDeniedException",
        "not allowed",
    )
    assert isinstance(error.__cause__, ClientError)
    assert not error.throttled


def test_ignored_codes_are_swallowed_and_others_are_not() -> None:
    with aws_call("ecs", "DeleteService", ignore=("ServiceNotFoundException",)):
        raise client_error("ServiceNotFoundException")
    with pytest.raises(AwsError), aws_call("ecs", "DeleteService", ignore=("ServiceNotFoundException",)):
        raise client_error("ClusterNotFoundException")


@pytest.mark.parametrize("code", ["ThrottlingException", "Throttling", "RequestLimitExceeded"])
def test_throttling_codes_are_recognized(code: str) -> None:
    with pytest.raises(AwsError) as caught, aws_call("ec2", "DescribeVpcs"):
        raise client_error(code)
    assert caught.value.throttled


def test_botocore_standard_retries_absorb_throttling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throttling is retried by botocore's standard mode under our wrappers: not defeated, not doubled."""
    sleeps: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", sleeps.append)
    clients = AwsClients(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    replies = [
        (400, b'{"__type":"ThrottlingException","message":"Rate exceeded"}'),
        (400, b'{"__type":"ThrottlingException","message":"Rate exceeded"}'),
        (200, b'{"services":[],"failures":[]}'),
    ]
    sent: list[str] = []

    def reply(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.url)
        status, body = replies.pop(0)

        class Raw:
            def stream(self, **_: Any) -> Any:
                yield body

        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, Raw())

    clients.ecs.meta.events.register("before-send.ecs.DescribeServices", reply)
    assert ecs_api.describe_services(clients, "humangov-cluster", ["humangov-texas-service"]) == []
    assert len(sent) == 3 and len(sleeps) == 2
