provider "aws" {
  region = var.region

  # default_tags belong to the provider, and one provider serves every state in var.states (a module
  # called with for_each cannot hold its own provider block). So the tags that are the same for every
  # resource of a run live here, and `humangov:state` is set by the module on each of its resources.
  default_tags {
    tags = merge(
      { "humangov:managed-by" = "terraform" },
      var.run_id == "" ? {} : { "humangov:run-id" = var.run_id },
    )
  }
}
