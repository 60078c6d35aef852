"""ECR: the two shared repositories (hardened, pruned) and pushing the images to them by digest.

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
    """Expire all but the newest `keep_last` images (any tag state): old builds do not pile up."""
    if keep_last < 1:
        raise ConfigError(f"keep_last must be at least 1, not {keep_last}")
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"keep the last {keep_last} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_last,
                },
                "action": {"type": "expire"},
            }
        ]
    }


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
