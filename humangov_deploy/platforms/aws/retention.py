"""Images stay in ECR while a task definition names them.

The repositories' lifecycle policy keeps the newest builds only (aws/ecr.py). A state not redeployed for
a while, or the revision a rollback returns to, may name an older image: were it expired, ECS could start
no replacement task (CannotPullContainerError). So when a deploy registers a revision, each ECR image it
names gets its keep tag, which the lifecycle policy never expires; `destroy` releases the keep tags of
images no ACTIVE revision of any state names any more (they become ordinary old builds again).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from humangov_deploy.aws import ecr as ecr_api
from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import PREFIX

Progress = Callable[[str], None]

# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>@sha256:<hex>: an image of this account's ECR.
_ECR_REF = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/(?P<repo>[^@:]+)@(?P<digest>sha256:[0-9a-f]{64})$"
)


def ecr_image(ref: str, account: str | None = None) -> tuple[str, str] | None:
    """(repository, digest) of a digest-pinned image in one of our ECR repositories (of `account`, when
    given), else None (a prebuilt image elsewhere, or a local tag on an emulator: nothing of ours to keep)."""
    found = _ECR_REF.match(ref)
    if not found or not found["repo"].startswith(f"{PREFIX}-"):
        return None
    if account is not None and not ref.startswith(f"{account}."):
        return None
    return found["repo"], found["digest"]


def protect_images(clients: AwsClients, refs: Iterable[str], account: str, progress: Progress) -> None:
    for ref in refs:
        image = ecr_image(ref, account)
        if image is None:
            continue
        added = ecr_api.protect_image(clients, *image)
        if added:
            progress(f"ecr: {image[0]}@{image[1][:19]} kept while a task definition names it")
        elif added is None:
            progress(f"warning: ecr: {image[0]}@{image[1]} is not in the registry; tasks cannot pull it")


def images_in_use(clients: AwsClients) -> set[tuple[str, str]]:
    """Every ECR image an ACTIVE task definition revision of any state names (rollback targets included)."""
    ecs = clients.ecs
    used: set[tuple[str, str]] = set()
    # ListTaskDefinitions' familyPrefix takes one whole family name (API reference), so list every ACTIVE
    # revision of the account and keep the states' families.
    with aws_call("ecs", "ListTaskDefinitions"):
        pages = ecs.get_paginator("list_task_definitions").paginate(status="ACTIVE")
        arns = [arn for page in pages for arn in page.get("taskDefinitionArns", [])]
    arns = [arn for arn in arns if arn.rsplit("/", 1)[-1].startswith(f"{PREFIX}-")]
    for arn in arns:
        with aws_call("ecs", "DescribeTaskDefinition"):
            described = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        for container in described.get("containerDefinitions", []):
            image = ecr_image(str(container.get("image", "")))
            if image is not None:
                used.add(image)
    return used


def release_unused_images(clients: AwsClients, repositories: Iterable[str], progress: Progress) -> int:
    """Remove the keep tags of images no ACTIVE revision names; returns how many were released."""
    kept = {(repository, digest): tag for repository in repositories
            for digest, tag in ecr_api.kept_images(clients, repository).items()}  # fmt: skip
    if not kept:
        return 0  # nothing protected (or no repository, as on an emulator): no need to read every revision
    used = images_in_use(clients)
    released = 0
    for (repository, digest), tag in kept.items():
        if (repository, digest) not in used:
            ecr_api.unprotect_image(clients, repository, tag)
            released += 1
    if released:
        progress(f"ecr: {released} image(s) no task definition names any more left to the lifecycle policy")
    return released
