variable "states" {
  description = "US states to provision, as slugs (california, new-york, ...): one, several or all 50."
  type        = list(string)
  # No default: a bare `terraform apply` must not create anything for a state nobody named.

  validation {
    condition     = length(var.states) > 0 && length(distinct(var.states)) == length(var.states)
    error_message = "List at least one state, and each state once."
  }

  # The one list of tenants is containers/app/humangov/states.py; a unit test fails if this copy drifts.
  validation {
    condition = alltrue([
      for state in var.states : contains([
        "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware",
        "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky",
        "louisiana", "maine", "maryland", "massachusetts", "michigan", "minnesota", "mississippi",
        "missouri", "montana", "nebraska", "nevada", "new-hampshire", "new-jersey", "new-mexico",
        "new-york", "north-carolina", "north-dakota", "ohio", "oklahoma", "oregon", "pennsylvania",
        "rhode-island", "south-carolina", "south-dakota", "tennessee", "texas", "utah", "vermont",
        "virginia", "washington", "west-virginia", "wisconsin", "wyoming",
      ], state)
    ])
    error_message = "Each state must be a US state slug such as california or new-york (lowercase, dashes)."
  }
}

variable "region" {
  description = "AWS region of every state's table and bucket."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "The region must be an AWS region name such as us-east-1."
  }
}

variable "deletion_protection" {
  description = "Protect each state's DynamoDB table against deletion. Turn off only for throwaway test runs."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects. For throwaway test runs only."
  type        = bool
  default     = false
}

variable "run_id" {
  description = "Id of the deploy run, set as the humangov:run-id tag on every resource (empty: no such tag)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9_.:/=+@-]{0,256}$", var.run_id))
    error_message = "The run id must be at most 256 letters, digits or _.:/=+@- characters."
  }
}
