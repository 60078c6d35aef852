"""Where the aws platform gets a state's data and images from: pluggable, so tests inject fakes.

Data: Terraform (default; the wrapper in humangov_deploy.data.terraform) or boto3
(humangov_deploy.data.create, for
emulators and accounts without Terraform). Images: prebuilt URIs given by the user, or built locally and
pushed to ECR (humangov_deploy.build.images and aws/ecr).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients
from humangov_deploy.data import create as data_create
from humangov_deploy.data import state as data_api
from humangov_deploy.data import teardown as data_teardown
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import TAG_CREATED_AT, TAG_RUN_ID, parse_time, run_id_time
from humangov_deploy.platforms.aws.spec import DataRefs
from humangov_deploy.platforms.base import Leftover
from humangov_deploy.waits import Deadline, Sleep

if TYPE_CHECKING:
    from humangov_deploy.data.terraform import Terraform

Progress = Callable[[str], None]
DATA_KINDS: tuple[str, ...] = ("terraform", "boto3")


class DataProvider(Protocol):
    kind: str

    def ensure(
        self, state: str, *, run_id: str, progress: Progress, deadline: Deadline | None = None
    ) -> DataRefs: ...

    def destroy(
        self, state: str, *, run_id: str, progress: Progress, deadline: Deadline | None = None
    ) -> None: ...


def table_arn(clients: AwsClients, table: str) -> str:
    dynamodb = clients.dynamodb
    with aws_call("dynamodb", "DescribeTable"):
        return str(dynamodb.describe_table(TableName=table)["Table"]["TableArn"])


def bucket_arn_for(table_arn_value: str, bucket: str) -> str:
    return f"arn:{data_api.partition_of(table_arn_value)}:s3:::{bucket}"


def find_data(clients: AwsClients, state: str) -> DataRefs | None:
    """The state's table and bucket however they were made (by name, as data.state finds them)."""
    found = data_api.find_state_data(clients, state)
    if found is None:
        return None
    arn = table_arn(clients, found.table)
    return DataRefs(found.table, found.bucket, arn, bucket_arn_for(arn, found.bucket))


def data_leftovers(clients: AwsClients) -> list[Leftover]:
    """Every state's table and bucket in the region, found by name whoever made it (boto3 or Terraform).

    For `sweep`: Terraform tags its resources `humangov:managed-by=terraform`, and a bucket or table of a
    lost runner may carry no tag of ours at all, so a tag query alone misses them. The age is the
    `humangov:created-at` tag, else the run id's time, else AWS's own creation time (a bucket's
    CreationDate can move when its configuration changes:
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_Bucket.html).
    """
    return [
        Leftover(
            state=found.state,
            kind=found.kind,
            id=found.arn,
            created=parse_time(found.tags.get(TAG_CREATED_AT))
            or run_id_time(found.tags.get(TAG_RUN_ID))
            or found.created,
            run_id=found.tags.get(TAG_RUN_ID),
        )
        for found in data_teardown.list_state_data(clients)
    ]


@dataclass
class Boto3Data:
    clients: AwsClients
    kind: str = "boto3"
    # The platform's clock, so the data's `humangov:created-at` agrees with the rest of the stack's.
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Sleep = time.sleep

    def ensure(
        self, state: str, *, run_id: str, progress: Progress, deadline: Deadline | None = None
    ) -> DataRefs:
        # deletion_protection: a deploy's table is protected, as Terraform's; destroy lifts it itself.
        # Settings recorded on the bucket by an earlier deploy are trusted (data.converge_state_data).
        made = data_create.converge_state_data(
            self.clients,
            state,
            run_id=run_id,
            progress=progress,
            created_at=self.now(),
            deletion_protection=True,
            deadline=deadline,
            sleep=self.sleep,
            trust_recorded=True,
        )
        arn, bucket = made.table_arn, made.data.bucket
        return DataRefs(made.data.table, bucket, arn, bucket_arn_for(arn, bucket))

    def destroy(
        self, state: str, *, run_id: str, progress: Progress, deadline: Deadline | None = None
    ) -> None:
        data_teardown.destroy_state_data(
            self.clients, state, progress=progress, deadline=deadline, sleep=self.sleep
        )


TerraformFactory = Callable[[Progress], "Terraform"]


@dataclass
class TerraformData:
    """A state's data through Terraform, and by name wherever this runner's Terraform state lacks it.

    Adopting data that exists but is not in the local Terraform state (made by `humangov data create`,
    or by Terraform on another runner whose state is gone) uses it where it is, by its names, converged
    with boto3 to the module's settings; it is not `terraform import`ed. Import would have to import the
    bucket name's `random_string` suffix too, and the random provider's import of a string forces its
    replacement (https://github.com/hashicorp/terraform-provider-random/issues/552): a new suffix, so a
    new bucket, the very duplicate this avoids. Destroy removes by name whatever Terraform did not.
    """

    clients: AwsClients
    kind: str = "terraform"
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Sleep = time.sleep
    terraform: TerraformFactory | None = None  # tests pass a fake; default: the `terraform` on PATH

    def _terraform(self, progress: Progress) -> Terraform:
        if self.terraform is not None:
            return self.terraform(progress)
        from humangov_deploy.data.terraform import Terraform  # lazily: only this backend needs the binary

        env = {"AWS_ENDPOINT_URL": self.clients.endpoint_url} if self.clients.endpoint_url else None
        return Terraform(env=env, progress=progress)

    def _by_name(self) -> Boto3Data:
        return Boto3Data(self.clients, now=self.now, sleep=self.sleep)

    def ensure(
        self, state: str, *, run_id: str, progress: Progress, deadline: Deadline | None = None
    ) -> DataRefs:
        terraform = self._terraform(progress)
        if not terraform.resources(state) and data_api.any_state_data(self.clients, state):
            progress(f"{state}'s data exists but not in this runner's Terraform state: adopting it by name")
            return self._by_name().ensure(state, run_id=run_id, progress=progress, deadline=deadline)
        # deletion_protection: a deploy's table is protected; destroy lifts it itself (force=True).
        outputs = terraform.apply(state, region=self.clients.region, run_id=run_id, deletion_protection=True)
        return DataRefs(outputs.table, outputs.bucket, outputs.table_arn, outputs.bucket_arn)

    def destroy(
        self, state: str, *, run_id: str, progress: Progress, deadline: Deadline | None = None
    ) -> None:
        from humangov_deploy.data.terraform import TerraformNotFound

        try:
            # force: lift the table's protection, and the bucket goes with its objects.
            self._terraform(progress).destroy(state, region=self.clients.region, run_id=run_id, force=True)
        except TerraformNotFound as exc:
            progress(f"{exc}; removing {state}'s data by name only")
        # Whatever this runner's Terraform state did not hold (another runner's apply, `humangov data
        # create`, a second bucket): by name, so a fresh runner's destroy leaves nothing behind.
        self._by_name().destroy(state, run_id=run_id, progress=progress, deadline=deadline)


def data_provider(
    kind: str,
    clients: AwsClients,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Sleep = time.sleep,
) -> DataProvider:
    if kind == "boto3":
        return Boto3Data(clients, now=now, sleep=sleep)
    if kind == "terraform":
        return TerraformData(clients, now=now, sleep=sleep)
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
        from humangov_deploy.aws import ecr as ecr_api
        from humangov_deploy.build import images as images_api

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
        from humangov_deploy.build import images as images_api

        built = images_api.ensure_images(base=base, progress=progress)  # type: ignore[arg-type]
        progress("an AWS emulator runs no registry: the task definition names the local image tags")
        return {"app": built.app, "nginx": built.nginx}

    return provide


def check_images(images: dict[str, str]) -> dict[str, str]:
    missing = [k for k in ("app", "nginx") if not images.get(k)]
    if missing:
        raise ConfigError(f"no image for {', '.join(missing)}")
    return images
