# A root module of its own, applied once per AWS account by an administrator (README: Nightly acceptance
# on AWS). It does not share state or providers with terraform/ (the per-state data).
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}
