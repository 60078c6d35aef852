"""Rollout records on the aws platform: one SSM parameter per run, which every runner of the account reads.

`/humangov/rollouts/<run id>`, a String parameter overwritten at each save (the record is compressed
text, not a secret). Listing uses DescribeParameters and GetParameter only: the deploy role already may
make those calls on `/humangov/*`.
"""

from __future__ import annotations

from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError

ROOT = "/humangov/rollouts"
# Standard parameters hold 4 KB, advanced ones 8 KB:
# https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
STANDARD_LIMIT = 4096
ADVANCED_LIMIT = 8192


def parameter_name(run_id: str) -> str:
    return f"{ROOT}/{run_id}"


class SsmRecordStore:
    """A RecordStore (platforms.base) in SSM Parameter Store."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self._advanced: set[str] = set()

    def put(self, run_id: str, text: str) -> None:
        if len(text) > ADVANCED_LIMIT:
            raise ConfigError(
                f"rollout record {run_id} is {len(text)} characters, more than an SSM parameter holds"
            )
        ssm = self.clients.ssm
        # A parameter's tier can go up, never down: a record that once needed Advanced stays there.
        if len(text) > STANDARD_LIMIT:
            self._advanced.add(run_id)
        tier = "Advanced" if run_id in self._advanced else "Standard"
        with aws_call("ssm", "PutParameter"):
            ssm.put_parameter(
                Name=parameter_name(run_id),
                Description="HumanGov rollout record (humangov rollout --resume)",
                Value=text,
                Type="String",
                Tier=tier,
                Overwrite=True,
            )

    def get(self, run_id: str) -> str | None:
        ssm = self.clients.ssm
        response = None
        with aws_call("ssm", "GetParameter", ignore=("ParameterNotFound",)):
            response = ssm.get_parameter(Name=parameter_name(run_id))
        return str(response["Parameter"]["Value"]) if response else None

    def all(self) -> dict[str, str]:
        ssm = self.clients.ssm
        names: list[str] = []
        with aws_call("ssm", "DescribeParameters"):
            for page in ssm.get_paginator("describe_parameters").paginate(
                ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [ROOT]}]
            ):
                names += [str(p["Name"]) for p in page.get("Parameters", [])]
        found = {}
        for name in names:
            text = self.get(name.rsplit("/", 1)[-1])
            if text is not None:
                found[name.rsplit("/", 1)[-1]] = text
        return found
