"""ECR never expires an image a task definition names (platforms/aws/retention.py, aws/ecr.py).

moto stores lifecycle policies but never applies them, so `expired_by` applies one as ECR does, by the
documented evaluation rules (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html):
rules by priority, `any` last; an image matching the tag requirements of a higher-priority rule is never
expired by a lower one, though lower rules still count it; with imageCountMoreThan, the images a rule
selects are sorted newest first by push time and those past the count are expired.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_testkit import ACCOUNT, NGINX_IMAGE, REGION, moto_platform

from humangov_deploy.aws import ecr as ecr_api
from humangov_deploy.clients import AwsClients
from humangov_deploy.platforms.aws.retention import ecr_image, release_unused_images

REPOS = ("humangov-app", "humangov-nginx")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _matches(rule: dict[str, Any], tags: list[str]) -> bool:
    selection = rule["selection"]
    status = selection["tagStatus"]
    if status == "untagged":
        return not tags
    if status == "tagged":
        prefixes = selection.get("tagPrefixList", [])
        return bool(tags) and all(any(t.startswith(p) for t in tags) for p in prefixes)
    return True  # any


def expired_by(policy: dict[str, Any], images: list[dict[str, Any]]) -> set[str]:
    """The digests ECR would expire: `images` are {digest, tags, pushed} (lifecycle evaluation rules)."""
    rules = sorted(policy["rules"], key=lambda r: r["rulePriority"])
    priorities = [r["rulePriority"] for r in rules]
    assert len(set(priorities)) == len(priorities), "rule priorities must be unique"
    anys = [r for r in rules if r["selection"]["tagStatus"] == "any"]
    assert not anys or anys[-1] is rules[-1], "a rule with tagStatus any must have the highest priority"
    expired: set[str] = set()
    for index, rule in enumerate(rules):
        selection = rule["selection"]
        assert selection["countType"] == "imageCountMoreThan", "only count rules are modelled here"
        chosen = sorted(
            (i for i in images if _matches(rule, i["tags"])), key=lambda i: i["pushed"], reverse=True
        )
        for image in chosen[selection["countNumber"] :]:
            claimed = any(_matches(higher, image["tags"]) for higher in rules[:index])
            if not claimed and image["digest"] not in expired:
                expired.add(image["digest"])
    return expired


def _manifest(n: int) -> str:
    config = {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 1,
        "digest": f"sha256:{n:064x}",
    }
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": config,
        # moto names an image by its layers' digests (real ECR: by the manifest's), so one layer per build.
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1,
                    "digest": f"sha256:{n + 1:064x}"}],
    })  # fmt: skip


def push(clients: AwsClients, repository: str, n: int) -> str:
    """A build pushed with its content tag; returns the digest-pinned URI a task definition names."""
    image = clients.ecr.put_image(
        repositoryName=repository, imageManifest=_manifest(n), imageTag=f"build-{n}"
    )
    digest = image["image"]["imageId"]["imageDigest"]
    return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repository}@{digest}"


def repository_images(clients: AwsClients, repository: str) -> list[dict[str, Any]]:
    details = clients.ecr.describe_images(repositoryName=repository)["imageDetails"]
    # moto stamps pushes with the wall clock, to the second: order them by the build number instead.
    return [
        {
            "digest": d["imageDigest"],
            "tags": d.get("imageTags", []),
            "pushed": T0
            + timedelta(minutes=min(int(t.split("-")[1]) for t in d["imageTags"] if t.startswith("build-"))),
        }
        for d in details
    ]


def policy_of(clients: AwsClients, repository: str) -> dict[str, Any]:
    return json.loads(clients.ecr.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"])


@pytest.fixture
def repos(moto_clients: AwsClients) -> AwsClients:
    ecr_api.ensure_repositories(moto_clients, REPOS, keep_last=5, progress=lambda _m: None)
    return moto_clients


def test_the_lifecycle_policy_follows_ecrs_rules_and_spares_kept_images() -> None:
    policy = ecr_api.lifecycle_policy(5)
    images = [
        {"digest": f"d{n}", "tags": [f"build-{n}"], "pushed": T0 + timedelta(minutes=n)} for n in range(12)
    ]
    images[1]["tags"].append(ecr_api.keep_tag("sha256:" + "1" * 64))
    # The newest 5 stay; of the 7 older ones, the kept image stays too (the rule still counts it).
    assert expired_by(policy, images) == {"d0", "d2", "d3", "d4", "d5", "d6"}


def test_a_deploy_keeps_the_images_its_revision_names_past_the_lifecycle(repos: AwsClients) -> None:
    old_app = push(repos, "humangov-app", 1)
    platform = moto_platform(repos, app_image=old_app)
    platform.deploy("vermont", timeout=300, progress=lambda _m: None)
    for n in range(2, 30):  # a month of builds for the other states
        push(repos, "humangov-app", n)

    digest = old_app.rsplit("@", 1)[1]
    assert ecr_api.kept_images(repos, "humangov-app") == {digest: ecr_api.keep_tag(digest)}
    expired = expired_by(policy_of(repos, "humangov-app"), repository_images(repos, "humangov-app"))
    assert digest not in expired
    assert len(expired) == 29 - 5 - 1  # every other old build goes


def test_destroy_releases_the_images_no_revision_names_any_more(repos: AwsClients) -> None:
    first, second = push(repos, "humangov-app", 1), push(repos, "humangov-app", 2)
    moto_platform(repos, app_image=first).deploy("vermont", timeout=300, progress=lambda _m: None)
    moto_platform(repos, app_image=second).deploy("maine", timeout=300, progress=lambda _m: None)
    assert len(ecr_api.kept_images(repos, "humangov-app")) == 2

    lines: list[str] = []
    moto_platform(repos).destroy("vermont", timeout=300, progress=lines.append)

    assert set(ecr_api.kept_images(repos, "humangov-app")) == {second.rsplit("@", 1)[1]}
    assert any("no task definition names any more" in line for line in lines)
    tags = {
        t
        for d in repos.ecr.describe_images(repositoryName="humangov-app")["imageDetails"]
        for t in d["imageTags"]
    }
    assert {"build-1", "build-2"} <= tags  # only the keep tag went, never the image


def test_release_reads_no_revision_when_nothing_is_kept(moto_clients: AwsClients) -> None:
    calls: list[str] = []
    moto_clients.ecs.meta.events.register("before-call.ecs.*", lambda model, **_: calls.append(model.name))
    assert release_unused_images(moto_clients, REPOS, lambda _m: None) == 0
    assert calls == []


def test_images_outside_our_registry_are_not_ours_to_keep() -> None:
    assert ecr_image(NGINX_IMAGE) == ("humangov-nginx", "sha256:" + "b" * 64)
    assert ecr_image(NGINX_IMAGE, account="999999999999") is None  # another account's registry
    assert ecr_image("humangov-app:1a2b3c4-5e6f") is None  # a local tag (AWS emulators)
    assert ecr_image(f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/other@sha256:{'c' * 64}") is None


def test_a_missing_image_is_a_warning_not_a_failure(repos: AwsClients) -> None:
    lines: list[str] = []
    moto_platform(repos).deploy("vermont", timeout=300, progress=lines.append)  # names images never pushed
    assert any(line.startswith("warning: ecr: humangov-app@") for line in lines)
    assert ecr_api.kept_images(repos, "humangov-app") == {}
