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
# Room per name in SORT_NAME_ATTR: 2 x 48 + 2 separators + a 64-character id = 162 bytes, well within
# DynamoDB's 1,024, and small enough for a page cursor to carry the whole key (cursor.py, <= 256 characters).
SORT_NAME_PART_BYTES = 48
SORT_NAME_SEPARATOR = "\x1f"

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

    Each case-folded name is cut to SORT_NAME_PART_BYTES (case folding can triple a name's size: "ΐ" folds
    to three code points), so the key stays short whatever the names. Names that share their first
    SORT_NAME_PART_BYTES bytes (48 ASCII letters, 12 emoji) sort by id among themselves.
    """
    return _joined(last_name.casefold(), first_name.casefold(), record_id)


def resumable_sort_name(stored: str) -> str:
    """`stored` with its names cut to SORT_NAME_PART_BYTES: the key itself for any record written since
    names are cut so. Records written before kept longer keys; cut again, such a key sorts just before
    `stored` (the separator sorts below every character a name may hold) and after every other key
    that does not share its cut names.
    """
    last, first, record_id = stored.split(SORT_NAME_SEPARATOR, 2)
    return _joined(last, first, record_id)


def sort_name_id(key: str) -> str:
    """The record id at the end of a sort key."""
    return key.rsplit(SORT_NAME_SEPARATOR, 1)[-1]


def _joined(last: str, first: str, record_id: str) -> str:
    parts = (_utf8_prefix(last, SORT_NAME_PART_BYTES), _utf8_prefix(first, SORT_NAME_PART_BYTES), record_id)
    return SORT_NAME_SEPARATOR.join(parts)


def _utf8_prefix(text: str, max_bytes: int) -> str:
    # Cut on a character boundary: "ignore" drops the bytes of a character split by the cut.
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def create_table_kwargs(table: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable (boto3 shape); Terraform's module declares the same."""
    return _create_table_kwargs(
        table,
        key=(HASH_KEY,),
        attributes=ATTRIBUTE_TYPES,
        indexes={BY_NAME_INDEX: (LIST_PARTITION_ATTR, SORT_NAME_ATTR)},
    )


def _create_table_kwargs(
    table: str, *, key: tuple[str, ...], attributes: dict[str, str], indexes: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """On-demand CreateTable arguments: `key` and each index's key are (hash[, range]) attribute names."""

    def key_schema(names: tuple[str, ...]) -> list[dict[str, str]]:
        return [{"AttributeName": n, "KeyType": t} for n, t in zip(names, ("HASH", "RANGE"), strict=False)]

    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": key_schema(key),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": k} for n, k in attributes.items()],
        "GlobalSecondaryIndexes": [
            {"IndexName": name, "KeySchema": key_schema(keys), "Projection": {"ProjectionType": "ALL"}}
            for name, keys in indexes.items()
        ],
    }


# --- Users, API tokens, sign-in throttle counters (accounts.py), sessions (sessions.py) -----------------
# They share the records table, in their own key space: records' ids are hex only (the records API can
# never reach these keys), and tokens and throttle counters carry no LIST_PARTITION_ATTR, so the by_name
# index never holds them. Users carry LIST_PARTITION_ATTR = USER_LIST_PARTITION (a partition of by_name
# that the records' listing, which queries LIST_PARTITION_VALUE only, never reads) so admins can list
# them with one Query, the task role having no Scan.
USER_PREFIX = "user#"
TOKEN_PREFIX = "token#"
THROTTLE_PREFIX = "throttle#"
SESSION_PREFIX = "session#"  # server-side sessions (sessions.py): like tokens, in no index
# How many admins the state has (`count`): written in one transaction with every change that makes or
# unmakes an admin, on the condition that one is left (user_store.py).
ADMIN_COUNT_KEY = "meta#admins"
USER_LIST_PARTITION = "user"
# Epoch seconds after which DynamoDB may delete the item (throttle counters, sessions): the table's TTL.
TTL_ATTR = "expires_at"

# --- The audit trail (audit.py): its own table per state, append-only ----------------------------------
AUDIT_TABLE_NAME_TEMPLATE = "humangov-{state}-audit"
AUDIT_HASH_KEY = "pk"
AUDIT_SORT_KEY = "sk"  # "<UTC ISO time with microseconds>Z#<uuid4 hex>": newest first when read backwards
AUDIT_PARTITION_VALUE = "audit"
AUDIT_RECORD_ATTR = "record_id"
AUDIT_USER_ATTR = "username"
AUDIT_BY_RECORD_INDEX = "by_record"
AUDIT_BY_USER_INDEX = "by_user"

AUDIT_ATTRIBUTE_TYPES: dict[str, str] = {
    AUDIT_HASH_KEY: "S",
    AUDIT_SORT_KEY: "S",
    AUDIT_RECORD_ATTR: "S",
    AUDIT_USER_ATTR: "S",
}
AUDIT_INDEXES: dict[str, str] = {
    AUDIT_BY_RECORD_INDEX: AUDIT_RECORD_ATTR,
    AUDIT_BY_USER_INDEX: AUDIT_USER_ATTR,
}


def audit_table_name(state: str) -> str:
    return AUDIT_TABLE_NAME_TEMPLATE.format(state=state)


def audit_table_for(records_table: str) -> str:
    """The audit table beside a records table (`humangov-texas-dynamodb` -> `humangov-texas-audit`)."""
    head, _, tail = TABLE_NAME_TEMPLATE.partition("{state}")
    if not (records_table.startswith(head) and records_table.endswith(tail)):
        raise ValueError(f"{records_table!r} is not a records table name")
    return audit_table_name(records_table[len(head) : len(records_table) - len(tail)])


def create_audit_table_kwargs(table: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable of the audit table (boto3 shape); Terraform's module the same."""
    return _create_table_kwargs(
        table,
        key=(AUDIT_HASH_KEY, AUDIT_SORT_KEY),
        attributes=AUDIT_ATTRIBUTE_TYPES,
        indexes={index: (attr, AUDIT_SORT_KEY) for index, attr in AUDIT_INDEXES.items()},
    )
