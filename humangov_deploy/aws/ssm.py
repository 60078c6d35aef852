"""SSM Parameter Store: the state's SECRET_KEY as a SecureString, made once and kept across redeploys.

Every task of a state must share the key (sessions and CSRF tokens), so it cannot be generated per
task; keeping it in the task definition's plain environment would leak it to anyone who can
describe task definitions. The task definition references it under `secrets` instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from humangov_deploy.aws.call import AwsError, aws_call
from humangov_deploy.aws.tagging import from_list, key_value
from humangov_deploy.clients import AwsClients


@dataclass(frozen=True)
class Parameter:
    name: str
    arn: str
    tags: dict[str, str]


def find_parameter(clients: AwsClients, name: str, *, with_tags: bool = True) -> Parameter | None:
    """The parameter (never its value), or None; `with_tags=False` leaves `tags` empty, one call fewer."""
    ssm = clients.ssm
    response = None
    # GetParameter without decryption: returns the ARN (DescribeParameters does not on every endpoint)
    # and never the secret's clear text.
    with aws_call("ssm", "GetParameter", ignore=("ParameterNotFound",)):
        response = ssm.get_parameter(Name=name, WithDecryption=False)
    if response is None:
        return None
    tags = []
    if with_tags:
        with aws_call("ssm", "ListTagsForResource"):
            tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList", [])
    return Parameter(name=name, arn=str(response["Parameter"]["ARN"]), tags=from_list(tags))


def parameter_arn(partition: str, region: str, account: str, name: str) -> str:
    """A parameter's ARN (`parameter` then its path):
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html"""
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def ensure_secret(
    clients: AwsClients,
    name: str,
    *,
    tags: dict[str, str],
    description: str,
    account: str | None = None,
    partition: str = "aws",
) -> Parameter:
    """Create the SecureString if missing; never overwrite an existing value (that would log users out).

    With `account`, a new one is not read again (GetParameter can miss it for a moment): its ARN is built
    from its name.
    """
    ssm = clients.ssm
    existing = find_parameter(clients, name)
    if existing is not None:
        return existing
    made = False
    with aws_call("ssm", "PutParameter", ignore=("ParameterAlreadyExists",)):
        ssm.put_parameter(
            Name=name,
            Description=description,
            Value=secrets.token_urlsafe(48),
            Type="SecureString",
            Tier="Standard",
            **({"Tags": key_value(tags)} if tags else {}),
        )
        made = True
    if made and account is not None:
        return Parameter(
            name=name, arn=parameter_arn(partition, clients.region, account, name), tags=dict(tags)
        )
    found = find_parameter(clients, name)  # a parallel deploy made it first: its tags are its own
    if found is None:
        raise AwsError(
            "ssm", "GetParameter", "ParameterNotFound", f"{name} exists but SSM does not show it yet"
        )
    return found


def add_tags(clients: AwsClients, name: str, tags: dict[str, str]) -> None:
    ssm = clients.ssm
    with aws_call("ssm", "AddTagsToResource"):
        ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=key_value(tags))


def delete_parameter(clients: AwsClients, name: str) -> bool:
    ssm = clients.ssm
    if find_parameter(clients, name, with_tags=False) is None:
        return False
    with aws_call("ssm", "DeleteParameter", ignore=("ParameterNotFound",)):
        ssm.delete_parameter(Name=name)
    return True


def states_with_secret(clients: AwsClients, root: str) -> list[str]:
    """States that have a secret under `root` (`/humangov`): a deploy writes it first and destroy last, so
    a state listed here is deployed, or being deployed or destroyed right now."""
    ssm = clients.ssm
    found: set[str] = set()
    with aws_call("ssm", "DescribeParameters"):
        for page in ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}]
        ):
            for parameter in page.get("Parameters", []):
                parts = str(parameter["Name"]).strip("/").split("/")
                if len(parts) == 3 and parts[2] == "secret-key":
                    found.add(parts[1])
    return sorted(found)
