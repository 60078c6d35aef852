"""A stand-in for the `terraform` binary that works on moto, for the wrapper's injected `runner`.

Its resources are the module's own (terraform/modules/aws_humangov_infrastructure, read with python-hcl2):
`apply` makes one module instance per state, `state list` lists what it made, so a resource added to the
module is in the stand-in at once. The AWS side of the two kinds that hold data is real (on moto, or the
strict layer): tables with their deletion protection, buckets with their `force_destroy`; the provider's
other resources are only recorded. `destroy` deletes in reverse order, keeps going past a resource AWS
refuses (as Terraform does), drops each destroyed resource from the state at once, and fails naming what
is left; `interrupt_after(n)` stops a destroy after n resources, as a killed run does.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from terraform_support import MODULE_DIR, HclModule

from humangov_deploy.appsrc import TERRAFORM_DIR
from humangov_deploy.clients import AwsClients

SUFFIX = "abcd"  # what random_string.bucket_suffix "made"
_EXPRESSION = re.compile(r"\$\{([^}]+)\}")


@dataclass
class MotoTerraform:
    clients: AwsClients
    module: HclModule = field(default_factory=lambda: HclModule.load(MODULE_DIR))
    module_name: str = field(default_factory=lambda: next(iter(HclModule.load(TERRAFORM_DIR).modules)))
    workspaces: dict[str, str] = field(default_factory=dict)  # data dir -> workspace
    states: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # workspace -> resources
    commands: list[list[str]] = field(default_factory=list)
    interrupt: int | None = None

    def interrupt_after(self, resources: int) -> None:
        self.interrupt = resources

    # --- the runner ---------------------------------------------------------------------------------

    def __call__(self, argv: list[str], *, env: dict[str, str], **_: Any) -> subprocess.CompletedProcess[str]:
        args = argv[1:]
        self.commands.append(args)
        workspace = self.workspaces.get(env["TF_DATA_DIR"], "default")
        variables = dict(a[len("-var=") :].split("=", 1) for a in args if a.startswith("-var="))
        out, err, code = "", "", 0
        if args[0] == "init":
            out = "Terraform has been successfully initialized!"
        elif args[:2] == ["workspace", "select"]:
            self.workspaces[env["TF_DATA_DIR"]] = args[-1]
        elif args[0] == "apply":
            targets = [a[len("-target=") :] for a in args if a.startswith("-target=")]
            self._apply(workspace, variables, targets)
            out = "Apply complete!"
        elif args[:2] == ["state", "list"]:
            out = "\n".join(r["address"] for r in self.states.get(workspace, []))
        elif args[0] == "output":
            out = json.dumps(self._outputs(workspace))
        elif args[0] == "destroy":
            err = self._destroy(workspace)
            code = 1 if err else 0
        else:
            err, code = f"moto terraform: unexpected command {args}", 3
        return subprocess.CompletedProcess(argv, code, out, err)

    # --- the module ------------------------------------------------------------------------------------

    def addresses(self, state: str) -> list[tuple[str, str, str]]:
        prefix = f'module.{self.module_name}["{state}"]'
        return [(f"{prefix}.{kind}.{name}", kind, name) for kind, name in self.module.resources]

    @staticmethod
    def _value(text: Any, inputs: dict[str, str]) -> Any:
        def evaluate(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("var."):
                return inputs[expression[len("var.") :]]
            if expression == "random_string.bucket_suffix.result":
                return SUFFIX
            return match.group(0)

        value = _EXPRESSION.sub(evaluate, str(text))
        return {"true": True, "false": False}.get(value, value)

    def _apply(self, workspace: str, variables: dict[str, str], targets: list[str]) -> None:
        resources = self.states.setdefault(workspace, [])
        for state in json.loads(variables["states"]):
            inputs = {
                "state_name": state,
                "deletion_protection": variables["deletion_protection"],
                "force_destroy": variables["force_destroy"],
            }
            for address, kind, name in self.addresses(state):
                if targets and address not in targets:
                    continue
                body = self.module.resource(kind, name)
                settings = {k: self._value(v, inputs) for k, v in body.items() if isinstance(v, str)}
                known = next((r for r in resources if r["address"] == address), None)
                if known is None:
                    self._create(kind, settings, body)
                    resources.append({"address": address, "kind": kind, "settings": settings})
                else:
                    self._update(kind, known["settings"], settings)
                    known["settings"] = settings

    def _create(self, kind: str, settings: dict[str, Any], body: dict[str, Any]) -> None:
        if kind == "aws_dynamodb_table":
            keys = [{"AttributeName": settings["hash_key"], "KeyType": "HASH"}]
            if "range_key" in settings:
                keys.append({"AttributeName": settings["range_key"], "KeyType": "RANGE"})
            used = {k["AttributeName"] for k in keys}
            self.clients.dynamodb.create_table(
                TableName=settings["name"],
                KeySchema=keys,
                AttributeDefinitions=[
                    {"AttributeName": a["name"], "AttributeType": a["type"]}
                    for a in body.get("attribute", [])
                    if a["name"] in used
                ],
                BillingMode="PAY_PER_REQUEST",
                DeletionProtectionEnabled=bool(settings.get("deletion_protection_enabled")),
            )
        elif kind == "aws_s3_bucket":
            self.clients.s3.create_bucket(Bucket=settings["bucket"])

    def _update(self, kind: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        # As the provider: only what differs from the state is written.
        key = "deletion_protection_enabled"
        if kind == "aws_dynamodb_table" and before.get(key) != after.get(key):
            self.clients.dynamodb.update_table(TableName=after["name"], DeletionProtectionEnabled=after[key])

    def _destroy(self, workspace: str) -> str:
        resources = self.states.get(workspace, [])
        errors: list[str] = []
        destroyed = 0
        for resource in list(reversed(resources)):
            if self.interrupt is not None and destroyed >= self.interrupt:
                self.interrupt = None
                return "Interrupt received. Stopping operation..."
            try:
                self._delete(resource["kind"], resource["settings"])
            except ClientError as exc:
                errors.append(f"Error: deleting {resource['address']}: {exc}")
                continue
            resources.remove(resource)
            destroyed += 1
        return "\n".join(errors)

    def _delete(self, kind: str, settings: dict[str, Any]) -> None:
        if kind == "aws_dynamodb_table":
            self.clients.dynamodb.delete_table(TableName=settings["name"])
            waiter = self.clients.dynamodb.get_waiter("table_not_exists")
            waiter.wait(TableName=settings["name"], WaiterConfig={"Delay": 5, "MaxAttempts": 60})
        elif kind == "aws_s3_bucket":
            if settings.get("force_destroy"):
                listing = self.clients.s3.list_object_versions(Bucket=settings["bucket"])
                for version in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
                    self.clients.s3.delete_object(
                        Bucket=settings["bucket"], Key=version["Key"], VersionId=version["VersionId"]
                    )
            self.clients.s3.delete_bucket(Bucket=settings["bucket"])

    def _outputs(self, workspace: str) -> dict[str, Any]:
        found: dict[str, dict[str, str]] = {}
        for resource in self.states.get(workspace, []):
            state = resource["address"].split('["', 1)[1].split('"]', 1)[0]
            settings = found.setdefault(state, {})
            if resource["address"].endswith("aws_dynamodb_table.state_dynamodb"):
                table = resource["settings"]["name"]
                settings["dynamodb_table"] = table
                settings["dynamodb_table_arn"] = f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"
            elif resource["address"].endswith("aws_s3_bucket.state_s3"):
                settings["s3_bucket"] = resource["settings"]["bucket"]
                settings["s3_bucket_arn"] = f"arn:aws:s3:::{resource['settings']['bucket']}"
        return found
