"""Support for the Terraform tests: the HCL of `terraform/` as dicts, and a fake `terraform` executable."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

from humangov_deploy.appsrc import TERRAFORM_DIR

MODULE_DIR = TERRAFORM_DIR / "modules" / "aws_humangov_infrastructure"
# Strings without their quotes, blocks as plain dicts, no comments: the shape the tests read.
HCL_OPTIONS = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)


def terraform_binary() -> str | None:
    return shutil.which("terraform") or (
        "/usr/local/bin/terraform" if Path("/usr/local/bin/terraform").exists() else None
    )


def parse_hcl(text: str) -> dict[str, Any]:
    return hcl2.loads(text, serialization_options=HCL_OPTIONS)


@dataclass
class HclModule:
    """Every top-level block of the *.tf files of one directory, merged as Terraform merges them."""

    path: Path
    blocks: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> HclModule:
        module = cls(path)
        for tf in sorted(path.glob("*.tf")):
            for kind, items in parse_hcl(tf.read_text()).items():
                module.blocks.setdefault(kind, []).extend(items)
        return module

    def _labelled(self, kind: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for item in self.blocks.get(kind, []):
            merged.update(item)
        return merged

    def _two_labels(self, kind: str) -> dict[tuple[str, str], Any]:
        return {
            (type_, name): body
            for item in self.blocks.get(kind, [])
            for type_, named in item.items()
            for name, body in named.items()
        }

    @property
    def resources(self) -> dict[tuple[str, str], Any]:
        return self._two_labels("resource")

    def resource(self, type_: str, name: str) -> dict[str, Any]:
        return self.resources[(type_, name)]

    def data(self, type_: str, name: str) -> dict[str, Any]:
        return self._two_labels("data")[(type_, name)]

    @property
    def variables(self) -> dict[str, Any]:
        return self._labelled("variable")

    @property
    def outputs(self) -> dict[str, Any]:
        return self._labelled("output")

    @property
    def modules(self) -> dict[str, Any]:
        return self._labelled("module")

    @property
    def providers(self) -> dict[str, Any]:
        return self._labelled("provider")

    @property
    def locals(self) -> dict[str, Any]:
        return self._labelled("locals")

    @property
    def settings(self) -> dict[str, Any]:
        """The `terraform {}` block."""
        merged: dict[str, Any] = {}
        for item in self.blocks.get("terraform", []):
            merged.update(item)
        return merged


# The fake records each call (argv, cwd, the TF_* environment) as a JSON line, keeps one state file per
# workspace as the local backend does, and fails on demand: FAKE_TF_CONTROL names a JSON file
# {"fail": {"apply": [{"returncode": 1, "stderr": "..."}, ...]}} whose entries are used one per call.
FAKE_TERRAFORM = r"""#!{python}
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
command = " ".join(args[:2]) if args[:1] == ["workspace"] or args[:1] == ["state"] else args[0]
env_keys = ("TF_DATA_DIR", "TF_WORKSPACE", "TF_IN_AUTOMATION", "TF_INPUT", "TF_PLUGIN_CACHE_DIR")
environment = {{k: os.environ.get(k) for k in env_keys}}
record = {{"argv": args, "command": command, "cwd": os.getcwd(), "env": environment}}
with open(os.environ["FAKE_TF_LOG"], "a") as log:
    log.write(json.dumps(record) + "\n")

control_path = Path(os.environ["FAKE_TF_CONTROL"])
control = json.loads(control_path.read_text()) if control_path.exists() else {{}}
failures = control.get("fail", {{}}).get(command, [])
counter = control_path.with_name(control_path.name + "." + command.replace(" ", "_") + ".count")
count = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(count + 1))
if count < len(failures):
    failure = failures[count]
    sys.stderr.write(failure["stderr"])
    sys.exit(failure.get("returncode", 1))

data_dir = Path(os.environ.get("TF_DATA_DIR", ".terraform"))
workspace = os.environ.get("TF_WORKSPACE") or (
    (data_dir / "environment").read_text() if (data_dir / "environment").exists() else "default"
)
state_file = Path("terraform.tfstate.d") / workspace / "terraform.tfstate"
variables = dict(a[len("-var="):].split("=", 1) for a in args if a.startswith("-var="))

def read_state():
    return json.loads(state_file.read_text()) if state_file.exists() else {{"states": []}}

if command == "init":
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "initialized").write_text("yes")
    print("Initializing the backend...")
    print("Terraform has been successfully initialized!")
elif command == "workspace select":
    if not (data_dir / "initialized").exists():
        sys.stderr.write("Error: Backend initialization required, please run terraform init")
        sys.exit(1)
    (data_dir / "environment").write_text(args[-1])
    (Path("terraform.tfstate.d") / args[-1]).mkdir(parents=True, exist_ok=True)
    print('Switched to workspace "' + args[-1] + '".')
elif command == "plan":
    print("Plan: 7 to add, 0 to change, 0 to destroy.")
    sys.exit(0 if read_state()["states"] and "-destroy" not in args else 2)
elif command == "apply":
    states = json.loads(variables["states"])
    print("module.aws_humangov_infrastructure: Creating...")
    print("Apply complete! Resources: 7 added, 0 changed, 0 destroyed.")
    if not any(a.startswith("-target=") for a in args):
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps({{"states": states, "variables": variables}}))
elif command == "output":
    states = read_state()["states"]
    if not states:
        sys.stderr.write('Error: Output "' + args[-1] + '" not found')
        sys.exit(1)
    print(json.dumps({{
        s: {{
            "dynamodb_table": "humangov-" + s + "-dynamodb",
            "s3_bucket": "humangov-" + s + "-s3-abcd",
            "dynamodb_table_arn": "arn:aws:dynamodb:us-east-1:123456789012:table/humangov-" + s + "-dynamodb",
            "s3_bucket_arn": "arn:aws:s3:::humangov-" + s + "-s3-abcd",
        }}
        for s in states
    }}))
elif command == "state list":
    # The module's own resources (python-hcl2), so a resource added to the module is listed here too.
    import hcl2
    resources = []
    for tf in sorted(Path({module!r}).glob("*.tf")):
        for block in hcl2.loads(tf.read_text()).get("resource", []):
            for kind, named in block.items():
                resources.extend(kind.strip('"') + "." + name.strip('"') for name in named)
    for s in read_state()["states"]:
        prefix = 'module.aws_humangov_infrastructure["' + s + '"].'
        for address in resources:
            print(prefix + address)
elif command == "destroy":
    if state_file.exists():
        state_file.write_text(json.dumps({{"states": []}}))
    print("Destroy complete! Resources: 7 destroyed.")
else:
    sys.stderr.write("fake terraform: unexpected command " + command)
    sys.exit(3)
"""


@dataclass
class FakeTerraform:
    binary: Path
    workdir: Path
    log_path: Path
    control_path: Path

    @property
    def env(self) -> dict[str, str]:
        return {"FAKE_TF_LOG": str(self.log_path), "FAKE_TF_CONTROL": str(self.control_path)}

    def calls(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]

    def commands(self) -> list[str]:
        return [call["command"] for call in self.calls()]

    def fail(self, command: str, *stderr: str, returncode: int = 1) -> None:
        """Make the next len(stderr) calls of `command` fail, one message each."""
        control = json.loads(self.control_path.read_text()) if self.control_path.exists() else {}
        control.setdefault("fail", {})[command] = [{"returncode": returncode, "stderr": s} for s in stderr]
        self.control_path.write_text(json.dumps(control))

    def state_file(self, state: str) -> Path:
        return self.workdir / "terraform.tfstate.d" / f"humangov-{state}" / "terraform.tfstate"


# What terraform/modules/aws_humangov_infrastructure leaves in an account, made on moto with boto3: the
# tests of data "made by Terraform" on a runner that has no Terraform state for it (no provider runs here).
TERRAFORM_RUN_ID = "20261126T170000Z-ab12"


def make_data_as_terraform_does(
    clients: Any, state: str, *, suffix: str = "qrst", run_id: str = TERRAFORM_RUN_ID, objects: int = 2
) -> tuple[str, str]:
    """The state's protected table and versioned bucket (with `objects` keys of 2 versions each), tagged
    as the module and the provider's default_tags tag them (`humangov:managed-by=terraform`)."""
    from humangov_deploy import appsrc

    schema = appsrc.schema()
    tags = {"humangov:managed-by": "terraform", "humangov:run-id": run_id, "humangov:state": state}
    table = schema.table_name(state)
    clients.dynamodb.create_table(
        **schema.create_table_kwargs(table),
        SSESpecification={"Enabled": True},
        DeletionProtectionEnabled=True,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    bucket = schema.bucket_prefix(state) + suffix
    clients.s3.create_bucket(Bucket=bucket)
    clients.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    clients.s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    )
    for number in range(objects):
        for version in (b"%PDF-1.4 one", b"%PDF-1.4 two"):
            clients.s3.put_object(Bucket=bucket, Key=f"documents/r{number}/1.pdf", Body=version)
    return table, bucket
