"""Where the library, the app modules it runs and the policy files of terraform/bootstrap/ are."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # humangov_deploy/
REPO_ROOT = PACKAGE_DIR.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
BOOTSTRAP_DIR = TERRAFORM_DIR / "bootstrap"
LIBRARY_POLICY = BOOTSTRAP_DIR / "deploy-policy.json"
# EC2, ECS and ELB under tag conditions: apart, as one managed policy holds at most 6,144 characters.
COMPUTE_POLICY = BOOTSTRAP_DIR / "deploy-compute-policy.json"
TERRAFORM_POLICY = BOOTSTRAP_DIR / "terraform-policy.json"
BOUNDARY_POLICY = BOOTSTRAP_DIR / "boundary-policy.json"
