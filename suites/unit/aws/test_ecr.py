"""ECR repositories on moto (configuration, idempotence) and the push flow with a scripted Docker client."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from humangov_deploy.aws import ecr
from humangov_deploy.build.images import ImageSet
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError, ConfigError


@pytest.fixture
def clients() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(region="us-east-1")


def _quiet(_: str) -> None:
    pass


def test_repositories_are_hardened(clients: AwsClients) -> None:
    repos = ecr.ensure_repositories(clients, ["humangov-app", "humangov-nginx"], keep_last=7, progress=_quiet)
    assert sorted(repos) == ["humangov-app", "humangov-nginx"]
    described = {r["repositoryName"]: r for r in clients.ecr.describe_repositories()["repositories"]}
    for name, repo in repos.items():
        assert repo.uri == described[name]["repositoryUri"] and repo.uri.endswith(f"/{name}")
        assert described[name]["imageTagMutability"] == "IMMUTABLE"
        assert described[name]["imageScanningConfiguration"] == {"scanOnPush": True}
        policy = json.loads(clients.ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
        keep, prune = sorted(policy["rules"], key=lambda r: r["rulePriority"])
        assert keep["selection"]["tagPrefixList"] == [ecr.KEEP_TAG_PREFIX]  # images a revision names
        assert prune["selection"]["tagStatus"] == "any"  # last, as ECR requires
        assert prune["selection"]["countType"] == "imageCountMoreThan"
        assert prune["selection"]["countNumber"] == 7
        assert prune["action"] == {"type": "expire"}


def test_existing_repository_is_converged_not_recreated(clients: AwsClients) -> None:
    clients.ecr.create_repository(
        repositoryName="humangov-app",
        imageTagMutability="MUTABLE",
        imageScanningConfiguration={"scanOnPush": False},
    )
    first_arn = clients.ecr.describe_repositories()["repositories"][0]["repositoryArn"]
    repos = ecr.ensure_repositories(clients, ["humangov-app"], keep_last=3, progress=_quiet)
    (described,) = clients.ecr.describe_repositories()["repositories"]
    assert repos["humangov-app"].arn == first_arn
    assert described["imageTagMutability"] == "IMMUTABLE"
    assert described["imageScanningConfiguration"] == {"scanOnPush": True}
    again = ecr.ensure_repositories(clients, ["humangov-app"], keep_last=3, progress=_quiet)
    assert again == repos


def test_keep_last_must_keep_something() -> None:
    with pytest.raises(ConfigError):
        ecr.lifecycle_policy(0)


def test_registry_auth_decodes_the_token(clients: AwsClients) -> None:
    auth = ecr.registry_auth(clients)
    assert auth.username == "AWS" and auth.password
    assert "://" not in auth.registry and auth.registry.endswith(".amazonaws.com")


class _Image:
    def __init__(self, log: list[tuple[str, ...]], ref: str) -> None:
        self.log, self.ref = log, ref

    def tag(self, repository: str, tag: str) -> bool:
        self.log.append(("tag", self.ref, f"{repository}:{tag}"))
        return True


class _Images:
    def __init__(self, log: list[tuple[str, ...]], fail: str | None) -> None:
        self.log, self.fail = log, fail

    def get(self, ref: str) -> _Image:
        return _Image(self.log, ref)

    def push(self, repository: str, tag: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.log.append(("push", f"{repository}:{tag}", kwargs["auth_config"]["username"]))
        yield {"status": "Pushing", "id": "abc", "progressDetail": {"current": 1}}
        if self.fail:
            yield {"error": self.fail, "errorDetail": {"message": self.fail}}
            return
        digest = "sha256:" + ("a" if "app" in repository else "b") * 64
        yield {"status": f"{tag}: digest: {digest} size: 1234"}
        yield {"aux": {"Tag": tag, "Digest": digest, "Size": 1234}}


class _Docker:
    def __init__(self, fail: str | None = None) -> None:
        self.log: list[tuple[str, ...]] = []
        self.images = _Images(self.log, fail)

    def login(self, **kwargs: Any) -> dict[str, str]:
        self.log.append(("login", kwargs["registry"], kwargs["username"]))
        return {"Status": "Login Succeeded"}


IMAGES = ImageSet(app="humangov-app:abc-111", nginx="humangov-nginx:abc-222")


def test_push_logs_in_with_the_token_and_returns_digests(clients: AwsClients) -> None:
    docker = _Docker()
    result = ecr.push_images(clients, IMAGES, docker_client=docker, progress=_quiet)
    auth = ecr.registry_auth(clients)
    app_uri = f"{auth.registry}/humangov-app"
    assert result == {
        "app": f"{app_uri}@sha256:{'a' * 64}",
        "nginx": f"{auth.registry}/humangov-nginx@sha256:{'b' * 64}",
    }
    assert docker.log[0] == ("login", auth.registry, "AWS")
    assert ("tag", "humangov-app:abc-111", f"{app_uri}:abc-111") in docker.log
    assert ("push", f"{app_uri}:abc-111", "AWS") in docker.log


def test_a_tag_already_in_the_repository_is_not_pushed_again(clients: AwsClients) -> None:
    ecr.ensure_repositories(clients, ["humangov-app", "humangov-nginx"], progress=_quiet)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + "c" * 64},
            "layers": [],
        }
    )
    digest = clients.ecr.put_image(repositoryName="humangov-app", imageManifest=manifest, imageTag="abc-111")[
        "image"
    ]["imageId"]["imageDigest"]
    docker = _Docker()
    result = ecr.push_images(clients, IMAGES, docker_client=docker, progress=_quiet)
    assert result["app"].endswith(f"@{digest}")
    pushed = [entry[1] for entry in docker.log if entry[0] == "push"]
    assert len(pushed) == 1 and pushed[0].endswith("/humangov-nginx:abc-222")


def test_push_failure_names_the_image(clients: AwsClients) -> None:
    with pytest.raises(AwsCallError, match="humangov-app:abc-111: denied: not authorized") as caught:
        ecr.push_images(
            clients, IMAGES, docker_client=_Docker(fail="denied: not authorized"), progress=_quiet
        )
    assert caught.value.code == "PushFailed"


def test_token_is_base64_user_colon_password() -> None:
    # The decoding rule itself, independent of moto's token: the password may contain colons.
    token = base64.b64encode(b"AWS:pa:ss").decode()

    class _Ecr:
        def get_authorization_token(self) -> dict[str, Any]:
            return {
                "authorizationData": [{"authorizationToken": token, "proxyEndpoint": "https://r.example"}]
            }

    fake = AwsClients(region="us-east-1")
    fake._cache["ecr"] = _Ecr()
    assert ecr.registry_auth(fake) == ecr.RegistryAuth("r.example", "AWS", "pa:ss")
