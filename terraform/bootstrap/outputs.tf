output "nightly_role_arn" {
  description = "Set this as the repository variable HUMANGOV_NIGHTLY_ROLE_ARN."
  value       = aws_iam_role.nightly.arn
}

output "oidc_provider_arn" {
  description = "GitHub's OIDC provider in this account."
  value       = local.oidc_provider_arn
}

output "trusted_subject" {
  description = "The only OIDC sub claim the role trusts."
  value       = local.subject
}

output "permissions_boundary_arn" {
  description = "The permissions boundary every role the deploy library creates carries."
  value       = aws_iam_policy.permissions_boundary.arn
}
