variable "region" {
  description = "Region of the provider (IAM is global; the nightly job's region is a repository variable)."
  type        = string
  default     = "us-east-1"
}

variable "github_owner" {
  description = "GitHub organization or user that owns the repository, such as my-org."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}$", var.github_owner))
    error_message = "github_owner must be a GitHub organization or user name."
  }
}

variable "github_repo" {
  description = "Repository name, such as humangov."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,100}$", var.github_repo))
    error_message = "github_repo must be a repository name without its owner."
  }
}

variable "github_owner_id" {
  description = "Numeric id of the owner, for repositories that emit GitHub's immutable sub claim (repo:OWNER@ID/REPO@ID:...); empty for the legacy name-only claim."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[0-9]*$", var.github_owner_id))
    error_message = "github_owner_id must be digits, or empty."
  }
}

variable "github_repo_id" {
  description = "Numeric id of the repository, used with github_owner_id; empty for the legacy claim."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[0-9]*$", var.github_repo_id))
    error_message = "github_repo_id must be digits, or empty."
  }
}

variable "branch" {
  description = "The only branch whose workflows may assume the role: the schedule runs on the default branch."
  type        = string
  default     = "main"
}

variable "role_name" {
  description = "Name of the role the nightly job assumes."
  type        = string
  default     = "github-nightly-acceptance-humangov"

  validation {
    # The role may manage IAM roles named humangov-*; its own name must stay outside that pattern, or it
    # could rewrite its own permissions.
    condition     = !startswith(var.role_name, "humangov-")
    error_message = "role_name must not start with humangov-: the role's IAM permissions cover those roles."
  }
}

variable "max_session_hours" {
  description = "Longest session the job may ask for; the workflow asks for 2 hours (its job timeout is 100 minutes)."
  type        = number
  default     = 2
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC provider; false when the account already has one (an account holds one per URL)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for the bootstrap's resources."
  type        = map(string)
  default     = {}
}

variable "create_ecs_service_linked_role" {
  description = "Create ECS's service-linked role AWSServiceRoleForECS. An account holds one: set false where it exists already (any earlier ECS cluster made it), or terraform import it. Terraform cannot create it only where missing."
  type        = bool
  default     = true
}
