# Shaped as the seed's output (state => {dynamodb_table, s3_bucket}), plus each resource's ARN for the
# IAM policy of the state's task role.
output "state_infrastructure_outputs" {
  description = "For each state: its DynamoDB table and S3 bucket, by name and by ARN."
  value = {
    for state, infrastructure in module.aws_humangov_infrastructure :
    state => {
      dynamodb_table     = infrastructure.state_dynamodb_table
      s3_bucket          = infrastructure.state_s3_bucket
      dynamodb_table_arn = infrastructure.state_dynamodb_table_arn
      s3_bucket_arn      = infrastructure.state_s3_bucket_arn
    }
  }
}
