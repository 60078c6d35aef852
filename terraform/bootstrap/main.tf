# What the nightly acceptance job needs in an AWS account: GitHub's OIDC provider, a role that only this
# repository's workflows on the default branch can assume, and two managed policies limited to the AWS
# actions the deploy library calls (derived from its source) and Terraform's data module needs.
# Regenerate the policies after library changes: python -m humangov_deploy.iam_actions --write

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

locals {
  github_oidc_url = "https://token.actions.githubusercontent.com"
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

# Derived from the library's call sites by humangov_deploy/iam_actions.py; a unit test fails when the
# library calls an action these files do not allow.
resource "aws_iam_policy" "deploy_library" {
  name        = "${var.role_name}-deploy-library"
  description = "AWS actions the humangov deploy library calls (deploy, verify, destroy, sweep)"
  policy      = file("${path.module}/deploy-policy.json")
}

# What Terraform's AWS provider calls to create, refresh and destroy terraform/ (a state's table and bucket).
resource "aws_iam_policy" "terraform_data" {
  name        = "${var.role_name}-terraform-data"
  description = "AWS actions Terraform needs to apply and destroy a HumanGov state's table and bucket"
  policy      = file("${path.module}/terraform-policy.json")
}

resource "aws_iam_role_policy_attachment" "deploy_library" {
  role       = aws_iam_role.nightly.name
  policy_arn = aws_iam_policy.deploy_library.arn
}

resource "aws_iam_role_policy_attachment" "terraform_data" {
  role       = aws_iam_role.nightly.name
  policy_arn = aws_iam_policy.terraform_data.arn
}
