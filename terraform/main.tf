# One instance of the module per state: each state is a silo tenant with its own table and bucket.
# The deploy library applies one state per Terraform workspace (humangov-<state>) so that states never
# share a state file; by hand, `-var 'states=[...]'` may list one state or all 50 (see the README).
module "aws_humangov_infrastructure" {
  source   = "./modules/aws_humangov_infrastructure"
  for_each = toset(var.states)

  state_name          = each.value
  deletion_protection = var.deletion_protection
  force_destroy       = var.force_destroy
}
