output "state_dynamodb_table" {
  description = "Name of the state's DynamoDB table."
  value       = aws_dynamodb_table.state_dynamodb.name
}

output "state_s3_bucket" {
  description = "Name of the state's S3 bucket."
  value       = aws_s3_bucket.state_s3.bucket
}

output "state_dynamodb_table_arn" {
  description = "ARN of the state's DynamoDB table."
  value       = aws_dynamodb_table.state_dynamodb.arn
}

output "state_s3_bucket_arn" {
  description = "ARN of the state's S3 bucket."
  value       = aws_s3_bucket.state_s3.arn
}

output "state_audit_table" {
  description = "Name of the state's audit trail table."
  value       = aws_dynamodb_table.state_audit.name
}

output "state_audit_table_arn" {
  description = "ARN of the state's audit trail table."
  value       = aws_dynamodb_table.state_audit.arn
}
