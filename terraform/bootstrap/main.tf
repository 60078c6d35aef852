# What the nightly acceptance job needs in an AWS account: GitHub's OIDC provider, a role that only this
# repository's workflows on the default branch can assume, two managed policies limited to the AWS actions
# the deploy library calls (derived from its source) and Terraform's data module needs, the permissions
# boundary of every role the library creates, and ECS's service-linked role.
# Regenerate the policies after library changes: python -m humangov_deploy.iam_actions --write
# The *-policy.json files are templates: templatefile() fills in the partition (aws, aws-cn, aws-us-gov)
# and the boundary's ARN, so the same files serve GovCloud.

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

# The partition of the provider's region: ARNs are arn:<partition>:... (aws-us-gov in GovCloud).
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/partition
data "aws_partition" "current" {}

locals {
  github_oidc_url = "https://token.actions.githubusercontent.com"

  # The variables of the rendered policy templates (humangov_deploy.iam_actions.TEMPLATE_VARIABLES).
  policy_variables = {
    partition                = data.aws_partition.current.partition
    permissions_boundary_arn = aws_iam_policy.permissions_boundary.arn
  }
  tags = merge(var.tags, {
    "humangov:managed-by" = "terraform-bootstrap"
    "humangov:purpose"    = "nightly-acceptance"
  })

  # GitHub's sub claim: repo:OWNER/REPO:ref:refs/heads/BRANCH, or its immutable form with numeric ids.
  owner   = var.github_owner_id == "" ? var.github_owner : "${var.github_owner}@${var.github_owner_id}"
  repo    = var.github_repo_id == "" ? var.github_repo : "${var.github_repo}@${var.github_repo_id}"
  subject = "repo:${local.owner}/${local.repo}:ref:refs/heads/${var.branch}"

  oidc_provider_arn = (
    var.create_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : data.aws_iam_openid_connect_provider.github[0].arn
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = local.github_oidc_url
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint: AWS validates GitHub's certificate itself and ignores any thumbprint given.
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1
  url   = local.github_oidc_url
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GitHubActionsOfThisRepositoryOnItsDefaultBranch"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    # StringEquals, not StringLike: no wildcard lets another repository, branch or pull request in.
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [local.subject]
    }
  }
}

resource "aws_iam_role" "nightly" {
  name                 = var.role_name
  description          = "Assumed by the HumanGov nightly acceptance workflow through GitHub OIDC"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_hours * 3600
}

# The most any role the library creates may do (a HumanGov task's data, logs, secret and images). The
# deploy policy lets the nightly role create and re-policy roles only with this boundary set, so it cannot
# mint a role more powerful than a task. Its name is humangov_deploy.naming.PERMISSIONS_BOUNDARY: the
# library computes the same ARN from the caller's account. Rendered from humangov_deploy/platforms/aws/spec.py.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
resource "aws_iam_policy" "permissions_boundary" {
  name        = "humangov-permissions-boundary"
  description = "Permissions boundary of the IAM roles the humangov deploy library creates"
  # Only the partition: the policy's own ARN would be a cycle.
  policy = templatefile("${path.module}/boundary-policy.json", {
    partition = data.aws_partition.current.partition
  })
}

# Derived from the library's call sites by humangov_deploy/iam_actions/; a unit test fails when the
# library calls an action these files do not allow.
resource "aws_iam_policy" "deploy_library" {
  name        = "${var.role_name}-deploy-library"
  description = "AWS actions the humangov deploy library calls (deploy, verify, destroy, sweep)"
  policy      = templatefile("${path.module}/deploy-policy.json", local.policy_variables)
}

# The library's EC2, ECS and ELB actions, each limited to resources tagged humangov:managed-by=humangov:
# apart from deploy_library, as one managed policy holds at most 6,144 characters.
resource "aws_iam_policy" "deploy_compute" {
  name        = "${var.role_name}-deploy-compute"
  description = "EC2, ECS and ELB actions the humangov deploy library calls, on HumanGov-tagged resources only"
  policy      = templatefile("${path.module}/deploy-compute-policy.json", local.policy_variables)
}

# What Terraform's AWS provider calls to create, refresh and destroy terraform/ (a state's table and bucket).
resource "aws_iam_policy" "terraform_data" {
  name        = "${var.role_name}-terraform-data"
  description = "AWS actions Terraform needs to apply and destroy a HumanGov state's table and bucket"
  policy      = templatefile("${path.module}/terraform-policy.json", local.policy_variables)
}

# ECS makes its service-linked role on an account's first CreateCluster, and that first call often fails
# while the new role propagates. Made here, the role is there before the first deploy. An account holds
# one: where it exists already, set create_ecs_service_linked_role = false (or import it).
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html
resource "aws_iam_service_linked_role" "ecs" {
  count            = var.create_ecs_service_linked_role ? 1 : 0
  aws_service_name = "ecs.amazonaws.com"
}

resource "aws_iam_role_policy_attachment" "deploy_library" {
  role       = aws_iam_role.nightly.name
  policy_arn = aws_iam_policy.deploy_library.arn
}

resource "aws_iam_role_policy_attachment" "deploy_compute" {
  role       = aws_iam_role.nightly.name
  policy_arn = aws_iam_policy.deploy_compute.arn
}

resource "aws_iam_role_policy_attachment" "terraform_data" {
  role       = aws_iam_role.nightly.name
  policy_arn = aws_iam_policy.terraform_data.arn
}
