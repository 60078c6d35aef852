"""ECR: the two shared repositories (hardened, pruned) and pushing the images to them by digest.

Pruning never takes an image a task definition still names: such an image carries a `keep-<digest>` tag
(`protect_image`), and the lifecycle policy's first rule matches those tags and expires nothing, so its
second rule (keep the newest `keep_last` of the rest) cannot expire them (AWS's evaluation rules below).

The repositories are shared by every state (the images do not depend on the state). Tags are immutable:
the image tags are content-addressed (humangov_deploy.build.images), so a tag always names one image, and a
task definition pins the digest that `push_images` returns.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from humangov_deploy.build.images import APP_REPOSITORY, NGINX_REPOSITORY, ImageSet
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError, ConfigError

Progress = Callable[[str], None]

DEFAULT_KEEP_LAST = 20
# "An image that matches the tagging requirements of a higher priority rule cannot be expired by a rule with
# a lower priority", and a rule with tagStatus `any` must come last (Lifecycle policy evaluation rules:
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html). The first rule matches the
# keep tags and allows more of them than a repository will ever hold, so it expires none.
KEEP_TAG_PREFIX = "keep-"
KEEP_RULE_COUNT = 9999
# What BatchGetImage may hand back for our images (docker's and OCI's single and multi-platform manifests).
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
DEFAULT_TAGS = {"humangov:managed-by": "humangov", "humangov:state": "shared"}

# Pushing a tag that an IMMUTABLE repository already holds is refused with ImageTagAlreadyExistsException
# (docker's text: "tag invalid: The image tag 'x' already exists ... because the repository is immutable"):
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
TAG_EXISTS = "ImageTagAlreadyExistsException"
_TAG_EXISTS_TEXT = re.compile(rf"{TAG_EXISTS}|tag .*already exists.*immutable", re.IGNORECASE)


@dataclass(frozen=True)
class Repository:
    name: str
    uri: str
    arn: str


@dataclass(frozen=True)
class RegistryAuth:
    """Credentials for `docker login` to the account's registry (valid 12 hours)."""

    registry: str
    username: str
    password: str


def lifecycle_policy(keep_last: int) -> dict[str, Any]:
    """Expire all but the newest `keep_last` images, never one a task definition names (a keep tag)."""
    if keep_last < 1:
        raise ConfigError(f"keep_last must be at least 1, not {keep_last}")
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": "never expire an image a task definition names (keep-<digest> tags)",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [KEEP_TAG_PREFIX],
                    "countType": "imageCountMoreThan",
                    "countNumber": KEEP_RULE_COUNT,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"keep the last {keep_last} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_last,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def keep_tag(digest: str) -> str:
    """`sha256:<hex>` -> `keep-<hex>`: one tag per image, so adding it twice changes nothing."""
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256" or len(hexdigest) != 64:
        raise ConfigError(f"not an image digest: {digest!r}")
    return KEEP_TAG_PREFIX + hexdigest


def protect_image(clients: AwsClients, repository: str, digest: str) -> bool | None:
    """Add the image's keep tag (PutImage of its own manifest): True if added, False if it had it already,
    None if the registry has no such image (nothing to keep; ECS will say so when it pulls)."""
    ecr = clients.ecr
    try:
        found = ecr.batch_get_image(
            repositoryName=repository,
            imageIds=[{"imageDigest": digest}],
            acceptedMediaTypes=list(MANIFEST_TYPES),
        )
    except ClientError as exc:
        if _code(exc) == "RepositoryNotFoundException":
            return None
        raise _error("BatchGetImage", exc) from exc
    images = found.get("images") or []
    if not images:
        return None
    image = images[0]
    arguments = {
        "repositoryName": repository,
        "imageManifest": image["imageManifest"],
        "imageTag": keep_tag(digest),
        "imageDigest": digest,
    }
    if image.get("imageManifestMediaType"):
        arguments["imageManifestMediaType"] = image["imageManifestMediaType"]
    try:
        ecr.put_image(**arguments)
    except ClientError as exc:
        # The tag names this digest only, so "already there" can only mean this very image has it.
        if _code(exc) in ("ImageAlreadyExistsException", TAG_EXISTS):
            return False
        raise _error("PutImage", exc) from exc
    return True


def kept_images(clients: AwsClients, repository: str) -> dict[str, str]:
    """{digest: keep tag} of the repository's protected images."""
    kept: dict[str, str] = {}
    try:
        for page in clients.ecr.get_paginator("describe_images").paginate(
            repositoryName=repository, filter={"tagStatus": "TAGGED"}
        ):
            for detail in page.get("imageDetails", []):
                for tag in detail.get("imageTags") or []:
                    if tag.startswith(KEEP_TAG_PREFIX):
                        kept[str(detail["imageDigest"])] = tag
    except ClientError as exc:
        if _code(exc) == "RepositoryNotFoundException":
            return {}
        raise _error("DescribeImages", exc) from exc
    return kept


def unprotect_image(clients: AwsClients, repository: str, tag: str) -> None:
    """Remove a keep tag. The image keeps its build tag, so only the tag goes (BatchDeleteImage by tag)."""
    try:
        clients.ecr.batch_delete_image(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        if _code(exc) not in ("RepositoryNotFoundException", "ImageNotFoundException"):
            raise _error("BatchDeleteImage", exc) from exc


def ensure_repositories(
    clients: AwsClients,
    names: Iterable[str] = (APP_REPOSITORY, NGINX_REPOSITORY),
    *,
    keep_last: int = DEFAULT_KEEP_LAST,
    tags: Mapping[str, str] | None = None,
    progress: Progress = print,
) -> dict[str, Repository]:
    """Create missing repositories, converge existing ones: scan on push, IMMUTABLE tags, lifecycle."""
    ecr = clients.ecr
    policy = json.dumps(lifecycle_policy(keep_last))
    tag_list = [{"Key": k, "Value": v} for k, v in (tags or DEFAULT_TAGS).items()]
    repositories: dict[str, Repository] = {}
    for name in names:
        try:
            created = ecr.create_repository(
                repositoryName=name,
                imageTagMutability="IMMUTABLE",
                imageScanningConfiguration={"scanOnPush": True},
                encryptionConfiguration={"encryptionType": "AES256"},
                tags=tag_list,
            )["repository"]
            progress(f"ecr: created repository {name}")
        except ClientError as exc:
            if _code(exc) != "RepositoryAlreadyExistsException":
                raise _error("CreateRepository", exc) from exc
            created = _converge(ecr, name)
            progress(f"ecr: repository {name} exists; settings converged")
        try:
            ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=policy)
        except ClientError as exc:
            raise _error("PutLifecyclePolicy", exc) from exc
        repositories[name] = Repository(name=name, uri=created["repositoryUri"], arn=created["repositoryArn"])
    return repositories


def _converge(ecr: Any, name: str) -> dict[str, Any]:
    try:
        ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="IMMUTABLE")
        ecr.put_image_scanning_configuration(
            repositoryName=name, imageScanningConfiguration={"scanOnPush": True}
        )
        repository: dict[str, Any] = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ClientError as exc:
        raise _error("ConvergeRepository", exc) from exc
    return repository


def registry_auth(clients: AwsClients) -> RegistryAuth:
    """ECR's authorization token, decoded into docker login credentials."""
    ecr = clients.ecr
    try:
        data = ecr.get_authorization_token()["authorizationData"][0]
    except (ClientError, IndexError, KeyError) as exc:
        raise _error("GetAuthorizationToken", exc) from exc
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    registry = data["proxyEndpoint"].split("://", 1)[-1].rstrip("/")
    return RegistryAuth(registry=registry, username=username, password=password)


def push_images(
    clients: AwsClients,
    images: ImageSet,
    docker_client: Any | None = None,
    progress: Progress = print,
    *,
    keep_last: int = DEFAULT_KEEP_LAST,
) -> dict[str, str]:
    """Push both images; returns {"app": "<repo uri>@sha256:...", "nginx": ...} for task definitions.

    A tag already in the repository is not pushed again (tags are immutable and content-addressed):
    its digest is returned as it is. Another runner may push the same tag between our look and our
    push; the registry then refuses ours, and the digest now in the repository is the one returned.
    """
    from humangov_deploy.build.baseimage import connect

    client = connect(docker_client)
    refs = images.as_dict()
    repositories = ensure_repositories(
        clients, [_repository_of(ref) for ref in refs.values()], keep_last=keep_last, progress=progress
    )
    auth = registry_auth(clients)
    try:
        client.login(username=auth.username, password=auth.password, registry=auth.registry, reauth=True)
    except Exception as exc:
        raise AwsCallError("ecr", "docker login", "LoginFailed", f"{auth.registry}: {exc}") from exc
    credentials = {"username": auth.username, "password": auth.password}

    pushed: dict[str, str] = {}
    for name, ref in refs.items():
        repository = repositories[_repository_of(ref)]
        tag = ref.rsplit(":", 1)[1]
        digest = existing_digest(clients, repository.name, tag)
        if digest:
            progress(f"ecr: {repository.name}:{tag} already pushed ({digest})")
        else:
            client.images.get(ref).tag(repository.uri, tag)
            digest = _push_or_adopt(clients, client, repository, tag, credentials, progress)
        pushed[name] = f"{repository.uri}@{digest}"
    return pushed


def _push_or_adopt(
    clients: AwsClients,
    client: Any,
    repository: Repository,
    tag: str,
    credentials: dict[str, str],
    progress: Progress,
) -> str:
    try:
        return _push(client, repository.uri, tag, credentials, progress)
    except AwsCallError as exc:
        if exc.code != TAG_EXISTS:
            raise
        digest = existing_digest(clients, repository.name, tag)
        if not digest:
            raise AwsCallError(
                "ecr",
                "docker push",
                "PushFailed",
                f"{repository.uri}:{tag}: refused as already there ({exc.code}), yet no image has that tag",
            ) from exc
    progress(f"ecr: {repository.name}:{tag} was pushed meanwhile by another run; using its digest {digest}")
    return digest


def existing_digest(clients: AwsClients, repository: str, tag: str) -> str | None:
    ecr = clients.ecr
    try:
        found = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        if _code(exc) == "ImageNotFoundException":
            return None
        raise _error("DescribeImages", exc) from exc
    details = found.get("imageDetails") or []
    return str(details[0]["imageDigest"]) if details else None


def _push(client: Any, uri: str, tag: str, credentials: dict[str, str], progress: Progress) -> str:
    progress(f"ecr: pushing {uri}:{tag}")
    digest = ""
    try:
        for chunk in client.images.push(uri, tag=tag, auth_config=credentials, stream=True, decode=True):
            if "error" in chunk:
                message = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                raise AwsCallError("ecr", "docker push", _push_error_code(message), f"{uri}:{tag}: {message}")
            aux = chunk.get("aux") or {}
            if aux.get("Digest"):
                digest = str(aux["Digest"])
            if chunk.get("status") and not chunk.get("progressDetail"):
                progress(f"ecr: {chunk.get('id', '')} {chunk['status']}".replace("  ", " "))
    except AwsCallError:
        raise
    except Exception as exc:
        code = _push_error_code(str(exc))
        raise AwsCallError("ecr", "docker push", code, f"{uri}:{tag}: {exc}") from exc
    if not digest:
        raise AwsCallError("ecr", "docker push", "NoDigest", f"{uri}:{tag}: the registry returned no digest")
    progress(f"ecr: pushed {uri}:{tag} {digest}")
    return digest


def _push_error_code(message: str) -> str:
    return TAG_EXISTS if _TAG_EXISTS_TEXT.search(message) else "PushFailed"


def _repository_of(ref: str) -> str:
    return ref.rsplit(":", 1)[0].rsplit("/", 1)[-1]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _error(operation: str, exc: Exception) -> AwsCallError:
    if isinstance(exc, ClientError):
        return AwsCallError(
            "ecr", operation, _code(exc), str(exc.response.get("Error", {}).get("Message", ""))
        )
    return AwsCallError("ecr", operation, type(exc).__name__, str(exc))
