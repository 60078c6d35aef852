"""Storage on one state's DynamoDB table and S3 bucket (the only module that talks to boto3).

Listing and search never Scan: both Query the `by_name` index (schema.py) one bounded slice at a
time, so the items read per page depend on the page size, not on the size of the table.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from humangov import cursor, schema
from humangov.aws_errors import aws_errors
from humangov.config import Settings
from humangov.cursor import Cursors, Start
from humangov.model import Record
from humangov.storage import AuditPut, Page, Readiness

log = logging.getLogger(__name__)

# Items a search may read per request: the cost of one search page, whatever the table's size.
DEFAULT_SEARCH_BUDGET = 1000
FIRST_NAME_LC = "first_name_lc"
LAST_NAME_LC = "last_name_lc"
VERSION = "version"


class DynamoStorage:
    def __init__(
        self,
        dynamodb: Any,
        s3: Any,
        table: str,
        bucket: str,
        cursors: Cursors,
        search_budget: int = DEFAULT_SEARCH_BUDGET,
    ):
        self.dynamodb = dynamodb
        self.s3 = s3
        self.table = table
        self.audit_table = schema.audit_table_for(table)  # where the audit entries of its changes go
        self.bucket = bucket
        self.cursors = cursors
        self.search_budget = search_budget

    @classmethod
    def from_settings(cls, settings: Settings, cursors: Cursors) -> DynamoStorage:
        """Build the clients (no AWS call happens here) for the state's table and bucket."""
        base = client_config()
        # SigV4 presigned URLs carry X-Amz-Expires (SigV2 is deprecated); emulators answer on one
        # host name, so S3 uses path-style addressing there.
        s3_config = base.merge(Config(signature_version="s3v4"))
        if settings.endpoint_url:
            s3_config = s3_config.merge(Config(s3={"addressing_style": "path"}))
        with _SESSION_LOCK:
            session = _session(settings.aws_region)
            dynamodb = session.client("dynamodb", endpoint_url=settings.endpoint_url, config=base)
            s3 = session.client("s3", endpoint_url=settings.endpoint_url, config=s3_config)
        return cls(dynamodb, s3, settings.table, settings.bucket, cursors)

    # Records -------------------------------------------------------------------------------------

    def get_record(self, record_id: str) -> Record | None:
        with _aws("GetItem"):
            response = self.dynamodb.get_item(
                TableName=self.table, Key={schema.HASH_KEY: {"S": record_id}}, ConsistentRead=True
            )
        item = response.get("Item")
        return from_item(item) if item else None

    def create_record(self, record: Record, audit: AuditPut | None = None) -> None:
        put = {
            "TableName": self.table,
            "Item": to_item(record),
            "ConditionExpression": "attribute_not_exists(#id)",
            "ExpressionAttributeNames": {"#id": schema.HASH_KEY},
        }
        self._write("Put", put, audit)

    def replace_record(self, record: Record, expected_version: int, audit: AuditPut | None = None) -> None:
        # Optimistic locking: the write lands only on the version the caller read, so no concurrent
        # change of any field (or of the PDF) is overwritten unseen.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_OptimisticLocking.html
        put = {"TableName": self.table, "Item": to_item(record), **_at_version(expected_version)}
        self._write("Put", put, audit)

    def delete_record(
        self, record_id: str, expected_version: int | None = None, audit: AuditPut | None = None
    ) -> Record | None:
        condition = {} if expected_version is None else _at_version(expected_version)
        delete = {"TableName": self.table, "Key": {schema.HASH_KEY: {"S": record_id}}, **condition}
        if audit is not None:
            if expected_version is None:
                raise ValueError("an audited delete names the version it deletes")
            self._write("Delete", delete, audit)
            return None
        with _aws("DeleteItem"):
            response = self.dynamodb.delete_item(**delete, ReturnValues="ALL_OLD")
        old = response.get("Attributes")
        return from_item(old) if old else None

    def _write(self, kind: str, request: dict[str, Any], audit: AuditPut | None) -> None:
        """PutItem or DeleteItem alone, or with its audit entry in one TransactWriteItems (the record's
        item first: its failed condition is a conflict)."""
        if audit is None:
            with _aws(f"{kind}Item"):
                getattr(self.dynamodb, "put_item" if kind == "Put" else "delete_item")(**request)
            return
        with _aws("TransactWriteItems"):
            self.dynamodb.transact_write_items(TransactItems=[{kind: request}, {"Put": audit}])
        item = audit["Item"]
        log.info(
            "audit %s by %s on %r request_id=%s",
            item["action"]["S"],
            item[schema.AUDIT_USER_ATTR]["S"],
            item["target"]["S"],
            item["request_id"]["S"],
        )

    def list_records(self, limit: int, cursor_token: str | None) -> Page:
        start = self._start(cursor_token)
        # One extra item tells whether another page exists, so the last page has no dead "next" link.
        response = self._query(limit + 1, start)
        items = response.get("Items", [])
        read = int(response.get("ScannedCount", len(items)))
        if len(items) > limit:
            items = items[:limit]
            next_key: dict[str, Any] | None = items[-1]
        else:
            next_key = response.get("LastEvaluatedKey")  # set only if DynamoDB's 1 MB cap cut the page
        return Page([from_item(item) for item in items], self._token(next_key), read)

    def search_records(self, needle: str, limit: int, cursor_token: str | None) -> Page:
        """Walk the index in name order, keeping matches, until the page or the read budget is full.

        A page may hold fewer than `limit` matches (even none) and still have a cursor: following the
        cursors visits every record exactly once, and one request never reads more than the budget.
        """
        start = self._start(cursor_token)
        needle = needle.casefold()
        budget = max(self.search_budget, 1)
        found: list[dict[str, Any]] = []
        read = 0
        while True:
            response = self._query(
                budget - read,
                start,
                FilterExpression=f"contains({FIRST_NAME_LC}, :needle) OR contains({LAST_NAME_LC}, :needle)",
                extra_values={":needle": {"S": needle}},
            )
            read += int(response.get("ScannedCount", 0))
            items = response.get("Items", [])
            last_key = response.get("LastEvaluatedKey")
            if len(found) + len(items) > limit:
                found.extend(items[: limit - len(found)])
                return Page([from_item(i) for i in found], self._token(found[-1]), read)
            found.extend(items)
            if last_key is None or len(found) == limit or read >= budget:
                return Page([from_item(i) for i in found], self._token(last_key), read)
            # DynamoDB's key is typed ({'S': ...}); _query takes the plain values a cursor holds.
            start = {attr: last_key[attr]["S"] for attr in cursor.KEY_ATTRS}

    def _start(self, cursor_token: str | None) -> dict[str, str] | None:
        """The ExclusiveStartKey a cursor stands for (BadCursorError if this app did not issue it).

        A cursor holds an index key; DynamoDB resumes after a key whether or not an item still has it, so
        a record deleted at a page boundary breaks nothing.
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
        """
        if not cursor_token:
            return None
        start: Start = self.cursors.decode(cursor_token)
        if not start.exact:
            # The item's key was too long to carry: resume right after its exact key, read again by id.
            # Renamed or deleted meanwhile: from the cut key, which may repeat a few items, never skip one.
            stored = self._stored_sort_name(start.record_id)
            if stored is not None and schema.resumable_sort_name(stored) == start.sort_name:
                return Start(stored).key()
        return start.key()

    def _stored_sort_name(self, record_id: str) -> str | None:
        with _aws("GetItem"):
            response = self.dynamodb.get_item(
                TableName=self.table,
                Key={schema.HASH_KEY: {"S": record_id}},
                ProjectionExpression="#s",
                ExpressionAttributeNames={"#s": schema.SORT_NAME_ATTR},
            )
        value = response.get("Item", {}).get(schema.SORT_NAME_ATTR, {}).get("S")
        return str(value) if value is not None else None

    def _token(self, key: dict[str, Any] | None) -> str | None:
        return None if key is None else self.cursors.encode(key[schema.SORT_NAME_ATTR]["S"])

    def _query(
        self,
        limit: int,
        start: dict[str, Any] | None,
        extra_values: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if start is not None:
            kwargs["ExclusiveStartKey"] = {name: {"S": value} for name, value in start.items()}
        with _aws("Query"):
            response: dict[str, Any] = self.dynamodb.query(
                TableName=self.table,
                IndexName=schema.BY_NAME_INDEX,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": schema.LIST_PARTITION_ATTR},
                ExpressionAttributeValues={":pk": {"S": schema.LIST_PARTITION_VALUE}, **(extra_values or {})},
                Limit=limit,
                **kwargs,
            )
        return response

    # Documents -----------------------------------------------------------------------------------

    def put_document(self, key: str, body: bytes, file_name: str) -> None:
        with _aws("PutObject"):
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/pdf")

    def delete_document(self, key: str) -> None:
        with _aws("DeleteObject"):
            self.s3.delete_object(Bucket=self.bucket, Key=key)

    def document_url(self, key: str, file_name: str, expires_in: int) -> str:
        # file_name went through model.safe_file_name: ASCII, no quotes, safe inside the header.
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentType": "application/pdf",
            "ResponseContentDisposition": f'inline; filename="{file_name or "document.pdf"}"',
        }
        with _aws("GeneratePresignedUrl"):
            url: str = self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        return url

    # Health --------------------------------------------------------------------------------------

    def readiness(self) -> Readiness:
        table_ok, audit_ok, bucket_ok = self._table_ok(self.table), self._table_ok(self.audit_table), False
        try:
            self.s3.head_bucket(Bucket=self.bucket)
            bucket_ok = True
        except (BotoCoreError, ClientError) as exc:
            log.warning("readiness: bucket %s does not answer: %s", self.bucket, exc)
        return Readiness(table=table_ok, bucket=bucket_ok, audit_table=audit_ok)

    def _table_ok(self, table: str) -> bool:
        try:
            status = self.dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
        except (BotoCoreError, ClientError) as exc:
            log.warning("readiness: table %s does not answer: %s", table, exc)
            return False
        return status in ("ACTIVE", "UPDATING")


@cache
def _session(region: str) -> boto3.session.Session:
    # One session per region: loading botocore's models costs ~0.1 s per session, clients from a warm
    # session are cheap. Only create_app() calls this, guarded by the lock (sessions are not thread-safe).
    return boto3.session.Session(region_name=region)


_SESSION_LOCK = threading.Lock()


def client_config() -> Config:
    return Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=15)


@contextmanager
def shared_session(region: str) -> Iterator[boto3.session.Session]:
    """The region's cached session, held under the lock while clients are made from it (identity.py)."""
    with _SESSION_LOCK:
        yield _session(region)


def _aws(operation: str) -> AbstractContextManager[None]:
    # Every write of a record is conditional: a failed condition means it changed meanwhile (409).
    return aws_errors(operation, conflict=True)


def _at_version(expected: int) -> dict[str, Any]:
    """The condition of a write on the version the caller read (0: an item stored before versions)."""
    if expected == 0:
        return {
            "ConditionExpression": "attribute_exists(#id) AND attribute_not_exists(#v)",
            "ExpressionAttributeNames": {"#id": schema.HASH_KEY, "#v": VERSION},
        }
    return {
        "ConditionExpression": "#v = :v",
        "ExpressionAttributeNames": {"#v": VERSION},
        "ExpressionAttributeValues": {":v": {"N": str(expected)}},
    }


def to_item(record: Record) -> dict[str, Any]:
    item: dict[str, Any] = {
        schema.HASH_KEY: {"S": record.id},
        schema.LIST_PARTITION_ATTR: {"S": schema.LIST_PARTITION_VALUE},
        schema.SORT_NAME_ATTR: {"S": schema.sort_name(record.first_name, record.last_name, record.id)},
        # Lower-cased copies let a DynamoDB filter match names case-insensitively.
        FIRST_NAME_LC: {"S": record.first_name.casefold()},
        LAST_NAME_LC: {"S": record.last_name.casefold()},
        "first_name": {"S": record.first_name},
        "last_name": {"S": record.last_name},
        "role": {"S": record.role},
        "salary": {"N": str(record.salary)},
        "document": {"S": record.document},
        "document_name": {"S": record.document_name},
        "created_at": {"S": record.created_at},
        "updated_at": {"S": record.updated_at},
    }
    # Version 0 is an item stored before versions existed: one without the attribute (see _at_version).
    if record.version:
        item[VERSION] = {"N": str(record.version)}
    return item


def from_item(item: dict[str, Any]) -> Record:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    return Record(
        id=text(schema.HASH_KEY),
        first_name=text("first_name"),
        last_name=text("last_name"),
        role=text("role"),
        salary=Decimal(item.get("salary", {}).get("N", "0")),
        document=text("document"),
        document_name=text("document_name"),
        created_at=text("created_at"),
        updated_at=text("updated_at"),
        version=int(item.get(VERSION, {}).get("N", "0")),
    )
