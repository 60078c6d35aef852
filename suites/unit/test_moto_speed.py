"""The unit suite's speed-ups (moto_speed.py) are on, the shared model cache keeps loaders apart, and moto
still answers `requests` with the responses it registers once."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import requests
from botocore import hooks, loaders
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import models as moto_models
from moto.core.models import responses_mock
from moto.kms import models as kms_models


def test_every_session_reads_a_services_model_once() -> None:
    first = boto3.session.Session()._loader.load_service_model("sqs", "service-2")  # type: ignore[attr-defined]
    second = boto3.session.Session()._loader.load_service_model("sqs", "service-2")  # type: ignore[attr-defined]

    assert second is first


def test_a_loader_with_other_search_paths_reads_its_own_models(tmp_path: Path) -> None:
    # A model folder as botocore lays them out: <service>/<api version>/service-2.json.
    version = loaders.Loader().determine_latest_version("sqs", "service-2")
    custom = tmp_path / "sqs" / version / "service-2.json"
    custom.parent.mkdir(parents=True)
    custom.write_text(json.dumps({"metadata": {"marker": "custom"}, "operations": {}, "shapes": {}}))
    loaders.Loader().load_service_model("sqs", "service-2")  # the default one, now in the shared cache

    model = loaders.Loader(extra_search_paths=[str(tmp_path)]).load_service_model("sqs", "service-2")

    assert model["metadata"]["marker"] == "custom"


def test_moto_makes_no_default_amis() -> None:
    with mock_aws():
        images = boto3.client("ec2", region_name="us-east-1").describe_images(Owners=["amazon"])["Images"]

    assert images == []


def test_every_mock_start_registers_the_same_callback_responses_for_requests() -> None:
    with mock_aws():
        first = list(responses_mock.registered())
    with mock_aws():
        second = list(responses_mock.registered())

    assert len(first) > 1000 and len(second) == len(first)
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert moto_models.CallbackResponse.__name__ == "_shared_callback_response"


def test_requests_to_aws_are_still_answered_by_moto_at_every_start() -> None:
    for body in (b"first", b"second"):
        with mock_aws():
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="speed")
            s3.put_object(Bucket="speed", Key="k", Body=body)
            url = s3.generate_presigned_url("get_object", Params={"Bucket": "speed", "Key": "k"})
            assert requests.get(url, timeout=5).content == body


def test_kms_keys_share_one_private_key_per_spec_and_keep_their_own_material() -> None:
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        first, second = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
        secret = kms.encrypt(KeyId=first, Plaintext=b"salary")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=secret)["KeyId"].endswith(first)
        with pytest.raises(ClientError):  # one key's ciphertext never decrypts with another's material
            kms.decrypt(CiphertextBlob=secret, KeyId=second)
        backend = kms_models.kms_backends["123456789012"]["us-east-1"]
        assert backend.keys[first].private_key is backend.keys[second].private_key


def test_clients_of_one_service_share_their_class_and_keep_what_boto3_adds() -> None:
    first = boto3.session.Session(region_name="us-east-1").client("s3")
    second = boto3.session.Session(region_name="us-east-1").client("s3")

    assert type(first) is type(second) and first is not second
    assert callable(second.upload_fileobj)  # boto3's creating-client-class handler was in the class
    assert type(boto3.session.Session(region_name="us-east-1").client("sqs")) is not type(first)
    assert first.meta.events is not second.meta.events  # handlers stay per client


def test_a_handlers_signature_is_checked_once_and_still_checked() -> None:
    def no_kwargs(event: object) -> None:
        pass

    assert hooks.accepts_kwargs.__name__ == "_remembered_accepts_kwargs"
    with pytest.raises(ValueError):  # botocore refuses a handler without **kwargs
        boto3.session.Session().events.register("before-call", no_kwargs)
    with pytest.raises(ValueError):
        boto3.session.Session().events.register("before-call", no_kwargs)


def test_sessions_share_the_memo_of_renamed_events_and_still_rename_them() -> None:
    first, second = boto3.session.Session().events, boto3.session.Session().events
    assert first._alias_name_cache is second._alias_name_cache  # type: ignore[attr-defined]
    # botocore's alias table renames the old service id: the memo gives the same answer to both.
    assert first._alias_event_name("before-call.autoscaling") == "before-call.auto-scaling"  # type: ignore[attr-defined]
    assert second._alias_event_name("before-call.autoscaling") == "before-call.auto-scaling"  # type: ignore[attr-defined]
    own = hooks.EventAliaser(hooks.HierarchicalEmitter(), {"x": "y"})
    assert own._alias_event_name("a.x") == "a.y" and own._alias_name_cache is not first._alias_name_cache  # type: ignore[attr-defined]
