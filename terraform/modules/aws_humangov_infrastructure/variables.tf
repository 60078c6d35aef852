variable "state_name" {
  description = "The state's slug (california, new-york, ...); part of every resource name."
  type        = string

  validation {
    # Lowercase words joined by single dashes: valid in table and bucket names alike.
    condition     = can(regex("^[a-z]+(-[a-z]+)*$", var.state_name))
    error_message = "The state name must be a slug such as california or new-york."
  }
}

variable "deletion_protection" {
  description = "Protect the DynamoDB table against deletion."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let destroy delete the bucket with every object version still in it (test runs)."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted object version is kept before S3 expires it."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "Keep old versions for a whole number of days, at least 1."
  }
}

variable "tags" {
  description = "Extra tags for the state's resources (the provider's default tags apply too)."
  type        = map(string)
  default     = {}
}
