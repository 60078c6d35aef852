"""Two runners push the same immutable tag at once: both see no tag, both push, the registry refuses the
second. That is success: the digest already in the repository is used. ECR on moto; the Docker client is
a small fake whose push is refused the way ECR refuses it (moto does not enforce immutable tags)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from humangov_deploy.aws import ecr
from humangov_deploy.build.images import ImageSet
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError

IMAGES = ImageSet(app="humangov-app:abc-111", nginx="humangov-nginx:abc-222")
OURS = "sha256:" + "d" * 64  # what our push would have returned, had it gone through


def refused(repository: str, tag: str) -> str:
    """docker's text for ECR's ImageTagAlreadyExistsException
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html)."""
    return (
        f"tag invalid: The image tag '{tag}' already exists in the '{repository}' repository and cannot be "
        "overwritten because the repository is immutable."
    )


def put_image(clients: AwsClients, repository: str, tag: str, config: str) -> str:
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + config * 64},
            "layers": [],
        }
    )
    image = clients.ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)["image"]
    return str(image["imageId"]["imageDigest"])


class _Image:
    def tag(self, repository: str, tag: str) -> bool:
        return True


class _Images:
    """Each push of the app image loses the race: `other_run` pushes first, then ours is refused."""

    def __init__(
        self,
        clients: AwsClients,
        *,
        other_run_pushes: bool,
        error_as_exception: bool,
        message: str | None = None,
    ) -> None:
        self.clients, self.other_run_pushes = clients, other_run_pushes
        self.error_as_exception, self.message = error_as_exception, message
        self.other_digest = ""
        self.pushed: list[str] = []

    def get(self, ref: str) -> _Image:
        return _Image()

    def push(self, repository: str, tag: str, **_: Any) -> Iterator[dict[str, Any]]:
        self.pushed.append(f"{repository}:{tag}")
        name = repository.rsplit("/", 1)[-1]
        if name == "humangov-app":
            if self.other_run_pushes:
                self.other_digest = put_image(self.clients, name, tag, "e")
            message = self.message or refused(name, tag)
            if self.error_as_exception:
                raise RuntimeError(message)  # how the SDK fails when the stream itself breaks
            yield {"status": "Pushing", "id": "abc", "progressDetail": {"current": 1}}
            yield {"error": message, "errorDetail": {"message": message}}
            return
        yield {"aux": {"Tag": tag, "Digest": OURS, "Size": 1}}


class _Docker:
    def __init__(self, images: _Images) -> None:
        self.images = images

    def login(self, **_: Any) -> dict[str, str]:
        return {"Status": "Login Succeeded"}


@pytest.mark.parametrize("error_as_exception", [False, True], ids=["error-in-stream", "error-raised"])
def test_a_tag_pushed_meanwhile_by_another_run_is_success_with_its_digest(
    clients: AwsClients, error_as_exception: bool
) -> None:
    images = _Images(clients, other_run_pushes=True, error_as_exception=error_as_exception)
    lines: list[str] = []
    result = ecr.push_images(clients, IMAGES, docker_client=_Docker(images), progress=lines.append)
    assert images.other_digest and result["app"].endswith(f"/humangov-app@{images.other_digest}")
    assert result["nginx"].endswith(f"/humangov-nginx@{OURS}")
    assert len(images.pushed) == 2  # ours was tried (the look before it saw no tag), then adopted
    assert any("pushed meanwhile by another run" in line and images.other_digest in line for line in lines)


def test_a_refused_tag_that_the_repository_does_not_hold_is_a_failure(clients: AwsClients) -> None:
    images = _Images(clients, other_run_pushes=False, error_as_exception=False)
    with pytest.raises(AwsCallError, match="no image has that tag") as caught:
        ecr.push_images(clients, IMAGES, docker_client=_Docker(images), progress=lambda _m: None)
    assert caught.value.code == "PushFailed" and "humangov-app:abc-111" in str(caught.value)


def test_other_push_errors_are_not_taken_for_the_race(clients: AwsClients) -> None:
    images = _Images(
        clients, other_run_pushes=False, error_as_exception=False, message="denied: not authorized"
    )
    with pytest.raises(AwsCallError) as caught:
        ecr.push_images(clients, IMAGES, docker_client=_Docker(images), progress=lambda _m: None)
    assert caught.value.code == "PushFailed"
    assert str(caught.value).endswith("humangov-app:abc-111: denied: not authorized")
