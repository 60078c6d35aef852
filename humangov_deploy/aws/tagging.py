"""Tags in each service's own shape, and the Resource Groups Tagging API listing used by `sweep`."""

from __future__ import annotations

from dataclasses import dataclass, field

from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients


def key_value(tags: dict[str, str]) -> list[dict[str, str]]:
    """ELBv2, IAM, SSM, EC2, DynamoDB: `[{"Key": k, "Value": v}]`."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def lower_key_value(tags: dict[str, str]) -> list[dict[str, str]]:
    """ECS: `[{"key": k, "value": v}]`."""
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def ec2_tag_specifications(resource_type: str, tags: dict[str, str], name: str) -> list[dict[str, object]]:
    return [{"ResourceType": resource_type, "Tags": key_value({"Name": name, **tags})}]


def from_list(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """Any of the list shapes above back into a dict."""
    result: dict[str, str] = {}
    for tag in tags or []:
        key = tag.get("Key", tag.get("key"))
        value = tag.get("Value", tag.get("value", ""))
        if key is not None:
            result[str(key)] = str(value)
    return result


@dataclass(frozen=True)
class TaggedResource:
    arn: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.arn.split(":")[2]

    @property
    def resource(self) -> str:
        """The ARN's resource part, such as `loadbalancer/app/name/id` or `service/cluster/name`."""
        return self.arn.split(":", 5)[5]


def find_tagged(clients: AwsClients, tags: dict[str, str | None]) -> list[TaggedResource]:
    """Every resource the tagging API knows with these tags (a None value matches any value of the key).

    The API misses some resource types (IAM roles; ECR repositories on moto): callers list those per service.
    """
    tag_filters = [{"Key": k, "Values": [v]} if v is not None else {"Key": k} for k, v in tags.items()]
    resourcegroupstaggingapi = clients.resourcegroupstaggingapi
    found: list[TaggedResource] = []
    with aws_call("resourcegroupstaggingapi", "GetResources"):
        paginator = resourcegroupstaggingapi.get_paginator("get_resources")
        for page in paginator.paginate(TagFilters=tag_filters):
            for item in page.get("ResourceTagMappingList", []):
                found.append(TaggedResource(item["ResourceARN"], from_list(item.get("Tags"))))
    return found
