# Pinned so every machine plans with the same Terraform and providers. The range stops below the next
# major version: a major upgrade is a deliberate change, reviewed with its upgrade guide.
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State is local by default (terraform.tfstate.d/<workspace>/ beside this file). For a shared remote
  # state with locking, copy backend-s3.tf.example to backend.tf; see the README (section Terraform).
}
