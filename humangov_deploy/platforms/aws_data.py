"""Where the aws platform gets a state's data and images from: pluggable, so tests inject fakes.

Data: Terraform (default; the wrapper in humangov_deploy.terraform) or boto3 (humangov_deploy.data, for
emulators and accounts without Terraform). Images: prebuilt URIs given by the user, or built locally and
pushed to ECR (humangov_deploy.images and aws/ecr).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from humangov_deploy import data as data_api
from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.aws_spec import DataRefs

Progress = Callable[[str], None]
DATA_KINDS: tuple[str, ...] = ("terraform", "boto3")


class DataProvider(Protocol):
    kind: str

    def ensure(self, state: str, *, run_id: str, progress: Progress) -> DataRefs: ...

    def destroy(self, state: str, *, run_id: str, progress: Progress) -> None: ...


def table_arn(clients: AwsClients, table: str) -> str:
    dynamodb = clients.dynamodb
    with aws_call("dynamodb", "DescribeTable"):
        return str(dynamodb.describe_table(TableName=table)["Table"]["TableArn"])


def bucket_arn_for(table_arn_value: str, bucket: str) -> str:
    partition = table_arn_value.split(":")[1] if table_arn_value.startswith("arn:") else "aws"
    return f"arn:{partition}:s3:::{bucket}"


def find_data(clients: AwsClients, state: str) -> DataRefs | None:
    """The state's table and bucket however they were made (by name, as humangov_deploy.data finds them)."""
    found = data_api.find_state_data(clients, state)
    if found is None:
        return None
    arn = table_arn(clients, found.table)
    return DataRefs(found.table, found.bucket, arn, bucket_arn_for(arn, found.bucket))


@dataclass
class Boto3Data:
    clients: AwsClients
    kind: str = "boto3"
    # The platform's clock, so the data's `humangov:created-at` agrees with the rest of the stack's.
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def ensure(self, state: str, *, run_id: str, progress: Progress) -> DataRefs:
        made = data_api.create_state_data(
            self.clients, state, run_id=run_id, progress=progress, created_at=self.now()
        )
        arn = table_arn(self.clients, made.table)
        return DataRefs(made.table, made.bucket, arn, bucket_arn_for(arn, made.bucket))

    def destroy(self, state: str, *, run_id: str, progress: Progress) -> None:
        data_api.destroy_state_data(self.clients, state, progress=progress)


@dataclass
class TerraformData:
    clients: AwsClients
    kind: str = "terraform"

    def _terraform(self, progress: Progress) -> Any:
        from humangov_deploy.terraform import Terraform  # lazily: only this backend needs the binary

        env = {"AWS_ENDPOINT_URL": self.clients.endpoint_url} if self.clients.endpoint_url else None
        return Terraform(env=env, progress=progress)

    def ensure(self, state: str, *, run_id: str, progress: Progress) -> DataRefs:
        outputs = self._terraform(progress).apply(state, region=self.clients.region, run_id=run_id)
        return DataRefs(outputs.table, outputs.bucket, outputs.table_arn, outputs.bucket_arn)

    def destroy(self, state: str, *, run_id: str, progress: Progress) -> None:
        # force: the bucket goes with its objects, as destroy promises ("empties what must be emptied").
        self._terraform(progress).destroy(state, region=self.clients.region, run_id=run_id, force=True)


def data_provider(
    kind: str, clients: AwsClients, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> DataProvider:
    if kind == "boto3":
        return Boto3Data(clients, now=now)
    if kind == "terraform":
        return TerraformData(clients)
    raise ConfigError(f"unknown data backend {kind!r}; choose one of {', '.join(DATA_KINDS)}")


# --- images --------------------------------------------------------------------------------------------

ImageProvider = Callable[[Progress], dict[str, str]]


def prebuilt_images(app: str, nginx: str) -> ImageProvider:
    def provide(progress: Progress) -> dict[str, str]:
        progress(f"using prebuilt images app={app} nginx={nginx}")
        return {"app": app, "nginx": nginx}

    return provide


def built_images(clients: AwsClients, *, base: str | None = None) -> ImageProvider:
    """Build both images if needed and push them to ECR; returns digest-pinned URIs."""

    def provide(progress: Progress) -> dict[str, str]:
        from humangov_deploy import images as images_api  # lazily: only this path needs Docker
        from humangov_deploy.aws import ecr as ecr_api

        built = images_api.ensure_images(base=base, progress=progress)  # type: ignore[arg-type]
        pushed = ecr_api.push_images(clients, built, progress=progress)
        return {"app": pushed["app"], "nginx": pushed["nginx"]}

    return provide


def local_images(*, base: str | None = None) -> ImageProvider:
    """Build both images if needed and name them by their local tags, pushing nothing.

    For AWS emulators (`--endpoint-url`): they run no container registry and no task, so the task
    definition only has to name the images, and the local tags are the images this deploy built.
    """

    def provide(progress: Progress) -> dict[str, str]:
        from humangov_deploy import images as images_api  # lazily: only this path needs Docker

        built = images_api.ensure_images(base=base, progress=progress)  # type: ignore[arg-type]
        progress("an AWS emulator runs no registry: the task definition names the local image tags")
        return {"app": built.app, "nginx": built.nginx}

    return provide


def check_images(images: dict[str, str]) -> dict[str, str]:
    missing = [k for k in ("app", "nginx") if not images.get(k)]
    if missing:
        raise ConfigError(f"no image for {', '.join(missing)}")
    return images
