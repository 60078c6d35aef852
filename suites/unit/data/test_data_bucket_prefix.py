"""A state's bucket lookup asks ListBuckets for that state's names only, and still checks them itself."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from humangov_deploy.clients import AwsClients
from humangov_deploy.data.state import find_bucket, list_state_buckets, state_buckets

pytestmark = pytest.mark.unit


def test_one_states_lookup_sends_its_prefix_and_filters_an_endpoint_that_ignores_it() -> None:
    with mock_aws():
        clients = AwsClients(region="us-east-1")
        stubber = Stubber(clients.s3)
        # An endpoint that ignores Prefix answers with the whole account: only maine's bucket is maine's.
        everything = {
            "Buckets": [
                {"Name": "humangov-maine-s3-abcd"},
                {"Name": "humangov-maine-s3-notours"},
                {"Name": "humangov-ohio-s3-wxyz"},
                {"Name": "other-maine-s3-abcd"},
            ]
        }
        stubber.add_response("list_buckets", everything, {"Prefix": "humangov-maine-s3-"})
        stubber.add_response("list_buckets", everything, {"Prefix": "humangov-"})
        with stubber:
            assert state_buckets(clients, "maine") == ["humangov-maine-s3-abcd"]
            fleet = [b["Name"] for b in list_state_buckets(clients)]
        stubber.assert_no_pending_responses()
    assert fleet == ["humangov-maine-s3-abcd", "humangov-ohio-s3-wxyz"]


def test_on_moto_each_state_finds_only_its_own_bucket() -> None:
    with mock_aws():
        clients = AwsClients(region="us-east-1")
        for name in ("humangov-virginia-s3-abcd", "humangov-west-virginia-s3-wxyz"):
            clients.s3.create_bucket(Bucket=name)
        assert find_bucket(clients, "virginia") == "humangov-virginia-s3-abcd"
        assert find_bucket(clients, "west-virginia") == "humangov-west-virginia-s3-wxyz"
        assert find_bucket(clients, "maine") is None
