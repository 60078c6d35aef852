"""Where the library, the app modules it runs and the policy files of terraform/bootstrap/ are."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # humangov_deploy/
REPO_ROOT = PACKAGE_DIR.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
BOOTSTRAP_DIR = TERRAFORM_DIR / "bootstrap"
LIBRARY_POLICY = BOOTSTRAP_DIR / "deploy-policy.json"
TERRAFORM_POLICY = BOOTSTRAP_DIR / "terraform-policy.json"
BOUNDARY_POLICY = BOOTSTRAP_DIR / "boundary-policy.json"
