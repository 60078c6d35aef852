"""botocore's service models and the tables that turn an operation into the IAM actions AWS checks."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore import xform_name

# Client methods that are not AWS operations and need no permission of their own.
LOCAL_CLIENT_METHODS = frozenset({"close", "can_paginate", "meta", "exceptions", "waiter_names"})

# S3's client-side helpers, and the operations (snake_case) they make.
S3_TRANSFER = {
    "upload_file": ("put_object", "create_multipart_upload", "upload_part", "complete_multipart_upload",
                    "abort_multipart_upload"),
    "upload_fileobj": ("put_object", "create_multipart_upload", "upload_part", "complete_multipart_upload",
                       "abort_multipart_upload"),
    "download_file": ("head_object", "get_object"),
    "download_fileobj": ("head_object", "get_object"),
    "copy": ("head_object", "copy_object", "upload_part_copy", "create_multipart_upload",
             "complete_multipart_upload", "abort_multipart_upload"),
    "generate_presigned_post": ("put_object",),
}  # fmt: skip

# IAM prefixes that differ from botocore's signing name.
IAM_PREFIX = {"tagging": "tag"}

# S3 operations whose IAM actions are named differently (Service Authorization Reference, Amazon S3).
S3_ACTIONS: dict[str, tuple[str, ...]] = {
    "ListObjectsV2": ("s3:ListBucket",),
    "ListObjects": ("s3:ListBucket",),
    "HeadBucket": ("s3:ListBucket",),
    "ListObjectVersions": ("s3:ListBucketVersions",),
    "ListBuckets": ("s3:ListAllMyBuckets",),
    "HeadObject": ("s3:GetObject",),
    # Deleting a batch that names versions is authorized per version.
    "DeleteObjects": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "CopyObject": ("s3:PutObject", "s3:GetObject"),
    "CreateMultipartUpload": ("s3:PutObject",),
    "UploadPart": ("s3:PutObject",),
    "UploadPartCopy": ("s3:PutObject", "s3:GetObject"),
    "CompleteMultipartUpload": ("s3:PutObject",),
    "PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock",),
    "DeletePublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "PutBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "GetBucketEncryption": ("s3:GetEncryptionConfiguration",),
    "DeleteBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "PutBucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration",),
    "GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration",),
    "DeleteBucketLifecycle": ("s3:PutLifecycleConfiguration",),
    "DeleteBucketTagging": ("s3:PutBucketTagging",),
    "DeleteBucketOwnershipControls": ("s3:PutBucketOwnershipControls",),
}

# DynamoDB authorizes a transaction item by item, as the single-item action of each: there is no
# TransactWriteItems action (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
# A call site names no items, so it needs every action an item may be.
DYNAMODB_ACTIONS: dict[str, tuple[str, ...]] = {
    "TransactWriteItems": (
        "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
    ),
    "TransactGetItems": ("dynamodb:GetItem",),
}  # fmt: skip
# The single-item action of each kind of TransactWriteItems item (tests expand recorded calls with it).
TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}

# Actions AWS authorizes although the library never calls them by name.
IMPLIED: dict[str, tuple[str, ...]] = {
    # Creating a resource with tags is also authorized as tagging it (ECS, ELB, EC2, Logs, IAM, ECR, DDB).
    # The first CreateCluster of an account creates ECS's service-linked role as its caller
    # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html).
    "ecs:CreateCluster": ("ecs:TagResource", "iam:CreateServiceLinkedRole"),
    "ecs:CreateService": ("ecs:TagResource", "iam:CreateServiceLinkedRole"),
    "ecs:RegisterTaskDefinition": ("ecs:TagResource", "iam:PassRole"),  # task and execution roles
    "ecs:RunTask": ("ecs:TagResource", "iam:PassRole"),
    "elasticloadbalancing:CreateLoadBalancer": (
        "elasticloadbalancing:AddTags",
        "iam:CreateServiceLinkedRole",
    ),
    "elasticloadbalancing:CreateTargetGroup": ("elasticloadbalancing:AddTags",),
    "elasticloadbalancing:CreateListener": ("elasticloadbalancing:AddTags",),
    "ec2:CreateSecurityGroup": ("ec2:CreateTags",),
    "logs:CreateLogGroup": ("logs:TagResource",),
    "iam:CreateRole": ("iam:TagRole",),
    "iam:CreatePolicy": ("iam:TagPolicy",),
    "ecr:CreateRepository": ("ecr:TagResource",),
    "dynamodb:CreateTable": ("dynamodb:TagResource",),
    # `docker push` after an ECR login speaks the registry protocol, authorized as these ECR actions.
    "ecr:GetAuthorizationToken": (
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ),
}

# What Terraform's AWS provider calls to create, read (refresh), update and destroy each resource type of
# terraform/ (the per-state data module). Reads beyond these are granted as `Get*`/`Describe*`/`List*`
# on the state's resources only, because provider versions add new reads of optional bucket settings.
TERRAFORM_RESOURCE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws_dynamodb_table": (
        "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups",
        "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive", "dynamodb:ListTagsOfResource",
        "dynamodb:TagResource", "dynamodb:UntagResource",
    ),
    "aws_s3_bucket": (
        "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:PutBucketTagging",
        "s3:GetBucketTagging",
    ),
    "aws_s3_bucket_public_access_block": ("s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    "aws_s3_bucket_ownership_controls": ("s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
    "aws_s3_bucket_server_side_encryption_configuration": (
        "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
    ),
    "aws_s3_bucket_versioning": ("s3:PutBucketVersioning", "s3:GetBucketVersioning"),
    "aws_s3_bucket_lifecycle_configuration": ("s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
    "aws_s3_bucket_policy": ("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"),
    # force_destroy empties the bucket, every version, before deleting it.
    "aws_s3_object": ("s3:PutObject", "s3:GetObject", "s3:DeleteObject"),
}  # fmt: skip
TERRAFORM_ALWAYS = ("sts:GetCallerIdentity",)  # the provider checks its credentials first
TERRAFORM_FORCE_DESTROY = ("s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion")


@cache
def _session() -> Any:
    return botocore.session.get_session()


@cache
def boto3_services() -> frozenset[str]:
    return frozenset(_session().get_available_services())


@cache
def _operations(service: str) -> dict[str, str]:
    """snake_case -> API name for every operation of a service."""
    model = _session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


@cache
def _waiters(service: str) -> dict[str, str]:
    """snake_case waiter name -> the API operation it polls."""
    try:
        model = _session().get_waiter_model(service)
    except Exception:  # a service without waiters
        return {}
    return {xform_name(name): model.get_waiter(name).operation for name in model.waiter_names}


@cache
def iam_prefix(service: str) -> str:
    signing = _session().get_service_model(service).signing_name
    return IAM_PREFIX.get(signing, signing)


def iam_actions(service: str, operation: str) -> tuple[str, ...]:
    """`("elbv2", "CreateLoadBalancer")` -> `("elasticloadbalancing:CreateLoadBalancer",)`."""
    if service == "s3" and operation in S3_ACTIONS:
        return S3_ACTIONS[operation]
    if service == "dynamodb" and operation in DYNAMODB_ACTIONS:
        return DYNAMODB_ACTIONS[operation]
    return (f"{iam_prefix(service)}:{operation}",)
