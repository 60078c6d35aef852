"""The storage schema of one state's data: table keys and indexes, object key layout.

Defined once, here, with the app. Standard library only, because three other readers load this
file directly: `humangov data create`, the local platform, and the Terraform drift test.
"""

from __future__ import annotations

from typing import Any

TABLE_NAME_TEMPLATE = "humangov-{state}-dynamodb"
# Terraform appends 4 random lowercase characters (as the seed did); `humangov data create` too.
BUCKET_PREFIX_TEMPLATE = "humangov-{state}-s3-"
BUCKET_SUFFIX_LENGTH = 4

HASH_KEY = "id"

# Listing sorted by name must cost one bounded Query per page, whatever the table's size: every
# record carries a constant partition value and a sortable name key, indexed by BY_NAME_INDEX.
LIST_PARTITION_ATTR = "list_pk"
LIST_PARTITION_VALUE = "employee"
SORT_NAME_ATTR = "sort_name"
BY_NAME_INDEX = "by_name"
# DynamoDB's limit for a sort key value, in UTF-8 bytes (also for an index's sort key):
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-partition-sort-keys
MAX_SORT_KEY_BYTES = 1024
# Room per name in SORT_NAME_ATTR: 2 x 400 + 2 separators + a 64-character id = 866 <= 1,024.
SORT_NAME_PART_BYTES = 400

ATTRIBUTE_TYPES: dict[str, str] = {
    HASH_KEY: "S",
    LIST_PARTITION_ATTR: "S",
    SORT_NAME_ATTR: "S",
}

DOCUMENT_PREFIX = "documents/"


def table_name(state: str) -> str:
    return TABLE_NAME_TEMPLATE.format(state=state)


def bucket_prefix(state: str) -> str:
    return BUCKET_PREFIX_TEMPLATE.format(state=state)


def document_key(record_id: str, version: str) -> str:
    """Object key of one version of a record's PDF. Never derived from the uploaded file name."""
    return f"{DOCUMENT_PREFIX}{record_id}/{version}.pdf"


def sort_name(first_name: str, last_name: str, record_id: str) -> str:
    """Sort key for the by-name index: last name, first name, then id to keep keys unique.

    Case folding can triple a name's size ("ΐ" folds to three code points), so each folded name is cut
    to SORT_NAME_PART_BYTES: with the id (at most 64 ASCII characters) the key stays within DynamoDB's
    1,024 bytes for a sort key. Names that share their first SORT_NAME_PART_BYTES sort by id.
    """
    last = _utf8_prefix(last_name.casefold(), SORT_NAME_PART_BYTES)
    first = _utf8_prefix(first_name.casefold(), SORT_NAME_PART_BYTES)
    return f"{last}\x1f{first}\x1f{record_id}"


def _utf8_prefix(text: str, max_bytes: int) -> str:
    # Cut on a character boundary: "ignore" drops the bytes of a character split by the cut.
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def create_table_kwargs(table: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable (boto3 shape); Terraform's module declares the same."""
    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": HASH_KEY, "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind} for name, kind in ATTRIBUTE_TYPES.items()
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": BY_NAME_INDEX,
                "KeySchema": [
                    {"AttributeName": LIST_PARTITION_ATTR, "KeyType": "HASH"},
                    {"AttributeName": SORT_NAME_ATTR, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }
