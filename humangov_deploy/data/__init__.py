"""A state's data: its DynamoDB tables and S3 bucket.

`state.py` names, tags, finds and waits for them; `create.py` creates or converges them with boto3 (the
same schema and hardening as Terraform's module); `teardown.py` removes and lists them by name, whoever
made them; `terraform.py` is the Terraform wrapper (one workspace and data dir per state).
"""
