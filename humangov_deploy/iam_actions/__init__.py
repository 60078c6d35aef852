"""Derive, from the library's own source, every AWS IAM action the deploy role needs.

The nightly job's role (terraform/bootstrap/) must allow exactly what the library calls. A list kept by
hand goes stale the day someone adds a call, so this module reads `humangov_deploy/**/*.py` with `ast` and
finds each AWS operation the way the house rules ask the code to make them:

- `<AwsClients expr>.<service>.<operation>` (called or only referenced, as in a table of bound methods),
  where the AwsClients expression is a name or attribute ending in `clients`, or a parameter annotated
  `AwsClients`; also `<AwsClients expr>.client("<service>").<operation>`;
- `<service>.<operation>` on a variable named exactly like the boto3 service (`ecs = clients.ecs`), and on
  any name or attribute assigned from a client expression (`tagging = clients.resourcegroupstaggingapi`);
- `<client>.get_paginator("op")`, `<client>.get_waiter("name")` (mapped to its operation with botocore's
  waiter model), S3's transfer helpers and presigned URLs (mapped to the operations they make).

snake_case names become API names through botocore's service model, and API names become IAM actions
with the service's IAM prefix (`elbv2` -> `elasticloadbalancing`) and the few S3 operations whose IAM
action has another name (`ListObjectsV2` -> `s3:ListBucket`). Actions AWS checks without the library
calling them (tag-on-create, `iam:PassRole`, the docker registry protocol behind an ECR login) are
added from `IMPLIED`, and what Terraform's AWS provider needs for the data module's resource types from
`TERRAFORM_RESOURCE_ACTIONS`. `python -m humangov_deploy.iam_actions --write` (`__main__.py`) renders
the policy files of terraform/bootstrap/ from all of this, with the permissions boundary of the roles the
library creates (`render.py`). The files are Terraform templates: ARNs read `arn:${partition}:`, the
boundary is `${permissions_boundary_arn}`; `templatefile()` in bootstrap/main.tf fills them in
(`render.instantiate`). `scan.py` reads the source, `catalog.py` holds botocore's models and the mapping
tables, `paths.py` where everything is.
"""

from __future__ import annotations

from humangov_deploy.iam_actions.catalog import (
    DYNAMODB_ACTIONS,
    IAM_PREFIX,
    IMPLIED,
    LOCAL_CLIENT_METHODS,
    S3_ACTIONS,
    S3_TRANSFER,
    TERRAFORM_ALWAYS,
    TERRAFORM_FORCE_DESTROY,
    TERRAFORM_RESOURCE_ACTIONS,
    TRANSACTION_ITEM_ACTIONS,
    boto3_services,
    iam_actions,
    iam_prefix,
)
from humangov_deploy.iam_actions.paths import (
    BOOTSTRAP_DIR,
    BOUNDARY_POLICY,
    COMPUTE_POLICY,
    LIBRARY_POLICY,
    PACKAGE_DIR,
    REPO_ROOT,
    TERRAFORM_DIR,
    TERRAFORM_POLICY,
)
from humangov_deploy.iam_actions.render import (
    BOUNDARY_ARN,
    BOUNDARY_CONDITION,
    BOUNDED,
    BOUNDED_SID,
    CONDITIONS,
    GUARDS,
    PARTITION,
    ROLE_ARNS,
    SCOPES,
    SPECIAL,
    TEMPLATE_VARIABLES,
    TERRAFORM_READS,
    UNSCOPED,
    boundary_policy,
    instantiate,
    policy_statements,
    render_policies,
)
from humangov_deploy.iam_actions.scan import (
    APP_MODULES_RUN_BY_LIBRARY,
    APP_PACKAGE_DIR,
    CallSite,
    Derivation,
    app_modules_run_by_library,
    derive,
    library_actions,
    library_files,
    operations_of,
    scan_source,
    terraform_actions,
    terraform_resource_types,
    with_implied,
)

__all__ = [
    "APP_MODULES_RUN_BY_LIBRARY",
    "APP_PACKAGE_DIR",
    "BOOTSTRAP_DIR",
    "BOUNDARY_ARN",
    "BOUNDARY_CONDITION",
    "BOUNDARY_POLICY",
    "BOUNDED",
    "BOUNDED_SID",
    "COMPUTE_POLICY",
    "CONDITIONS",
    "DYNAMODB_ACTIONS",
    "GUARDS",
    "IAM_PREFIX",
    "IMPLIED",
    "LIBRARY_POLICY",
    "LOCAL_CLIENT_METHODS",
    "PACKAGE_DIR",
    "PARTITION",
    "REPO_ROOT",
    "ROLE_ARNS",
    "S3_ACTIONS",
    "S3_TRANSFER",
    "SCOPES",
    "SPECIAL",
    "TEMPLATE_VARIABLES",
    "TERRAFORM_ALWAYS",
    "TERRAFORM_DIR",
    "TERRAFORM_FORCE_DESTROY",
    "TERRAFORM_POLICY",
    "TERRAFORM_READS",
    "TERRAFORM_RESOURCE_ACTIONS",
    "TRANSACTION_ITEM_ACTIONS",
    "UNSCOPED",
    "CallSite",
    "Derivation",
    "app_modules_run_by_library",
    "boto3_services",
    "boundary_policy",
    "derive",
    "iam_actions",
    "iam_prefix",
    "instantiate",
    "library_actions",
    "library_files",
    "operations_of",
    "policy_statements",
    "render_policies",
    "scan_source",
    "terraform_actions",
    "terraform_resource_types",
    "with_implied",
]
