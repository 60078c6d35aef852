locals {
  # The provider's default_tags cannot carry the state (one provider serves every state of a run), so
  # the module tags each of its taggable resources with it.
  tags = merge(var.tags, { "humangov:state" = var.state_name })
}

# Keys and indexes are the app's storage schema (containers/app/humangov/schema.py); a unit test
# compares this table with that schema, so a change to one without the other fails the tests.
resource "aws_dynamodb_table" "state_dynamodb" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS managed key aws/dynamodb; a customer managed key per state costs 50 keys and ties the task role to key policies, with no requirement asking for it.
  name                        = "humangov-${var.state_name}-dynamodb"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "id"
    type = "S"
  }

  attribute {
    name = "list_pk"
    type = "S"
  }

  attribute {
    name = "sort_name"
    type = "S"
  }

  # Listing by name: one bounded Query per page, whatever the table's size.
  global_secondary_index {
    name            = "by_name"
    hash_key        = "list_pk"
    range_key       = "sort_name"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  # Sign-in throttle counters carry an expiry (schema.TTL_ATTR) and go away by themselves; records carry none.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  tags = local.tags
}

# The state's audit trail (schema.create_audit_table_kwargs; a unit test compares them), hardened as the
# records table. Append-only: the task role may only PutItem, GetItem and Query it. No TTL: entries stay.
resource "aws_dynamodb_table" "state_audit" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS managed key aws/dynamodb, as the records table.
  name                        = "humangov-${var.state_name}-audit"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "record_id"
    type = "S"
  }

  attribute {
    name = "username"
    type = "S"
  }

  # Newest first, by record and by who acted: one bounded Query per page each.
  global_secondary_index {
    name            = "by_record"
    hash_key        = "record_id"
    range_key       = "sk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "by_user"
    hash_key        = "username"
    range_key       = "sk"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = local.tags
}

# 4 random lowercase letters, as the seed's names had, so a state's bucket name is unique worldwide.
resource "random_string" "bucket_suffix" {
  length  = 4
  special = false
  upper   = false
  numeric = false
}

resource "aws_s3_bucket" "state_s3" {
  #checkov:skip=CKV_AWS_18:Server access logs would need a second bucket per state; API access is audited account-wide by CloudTrail.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles every state's storage; versioning and PITR cover recovery, the region is the tenant's choice.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; the app writes and reads the documents itself.
  #checkov:skip=CKV_AWS_145:Default encryption is SSE-S3 (AES256): no KMS request costs or quotas across 50 states, and the app's presigned downloads need no KMS permissions.
  bucket        = "humangov-${var.state_name}-s3-${random_string.bucket_suffix.result}"
  force_destroy = var.force_destroy

  tags = local.tags
}

# ACLs disabled: the bucket owner owns every object, and access is decided by IAM and the policy only.
resource "aws_s3_bucket_ownership_controls" "state_s3" {
  bucket = aws_s3_bucket.state_s3.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state_s3" {
  bucket = aws_s3_bucket.state_s3.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state_s3" {
  bucket = aws_s3_bucket.state_s3.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "state_s3" {
  bucket = aws_s3_bucket.state_s3.id

  versioning_configuration {
    status = "Enabled"
  }
}

# Versioning keeps every overwritten or deleted document; expire those old versions after a while,
# clear the delete markers they leave behind, and drop abandoned multipart uploads.
resource "aws_s3_bucket_lifecycle_configuration" "state_s3" {
  bucket = aws_s3_bucket.state_s3.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    expiration {
      expired_object_delete_marker = true
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # A lifecycle rule on an unversioned bucket would race the versioning change.
  depends_on = [aws_s3_bucket_versioning.state_s3]
}

# Refuse every request that does not come over TLS.
data "aws_iam_policy_document" "state_s3_tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.state_s3.arn,
      "${aws_s3_bucket.state_s3.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state_s3" {
  bucket = aws_s3_bucket.state_s3.id
  policy = data.aws_iam_policy_document.state_s3_tls_only.json

  # PutBucketPolicy fails while the public access block is being created; order them.
  depends_on = [aws_s3_bucket_public_access_block.state_s3]
}
