"""The unit suite's two speed-ups (moto_speed.py) are on, and the shared model cache keeps loaders apart."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from botocore import loaders
from moto import mock_aws


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
