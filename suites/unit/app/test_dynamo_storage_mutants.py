"""DynamoStorage's requests, word for word, and its answers to every response shape.

Pinned where `tox -e mutants` found the moto-backed tests loose: a recording fake stands in for the two
clients, so each test states exactly what is sent (condition expressions, consistent reads, index, limits)
and what a response turns into (pages, cursors, errors, readiness).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from humangov import cursor, dynamo_storage, schema
from humangov.config import Settings
from humangov.cursor import Cursors
from humangov.dynamo_storage import DynamoStorage, from_item, to_item
from humangov.model import Record
from humangov.storage import ConflictError, Page, Readiness, StorageError

TABLE, BUCKET = "humangov-texas-dynamodb", "humangov-texas-s3-1"


class Client:
    """Records each call's name and parameters; answers from `answers` (a value or an exception)."""

    def __init__(self, **answers: Any) -> None:
        self.answers: dict[str, Any] = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, dict(kwargs, _args=args) if args else kwargs))
            answer = self.answers.get(name, {})
            if isinstance(answer, list):
                answer = answer.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer

        return call


def record(record_id: str = "r1", first: str = "Ada", last: str = "Lovelace") -> Record:
    return Record(
        id=record_id,
        first_name=first,
        last_name=last,
        role="Engineer",
        salary=Decimal("1234.5"),
        document=f"records/{record_id}/v1.pdf",
        document_name="cv.pdf",
        created_at="2026-11-26T17:00:00Z",
        updated_at="2026-11-26T17:05:00Z",
    )


CURSORS = Cursors("mutants-test-secret-0123456789")


def storage(dynamodb: Client | None = None, s3: Client | None = None, budget: int = 1000) -> DynamoStorage:
    return DynamoStorage(dynamodb or Client(), s3 or Client(), TABLE, BUCKET, CURSORS, search_budget=budget)


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "Op")


ITEM = to_item(record())


# -- the item ----------------------------------------------------------------------------------------------
def test_a_record_is_stored_as_this_item_and_read_back_whole() -> None:
    assert ITEM == {
        "id": {"S": "r1"},
        "list_pk": {"S": "employee"},
        "sort_name": {"S": "lovelace\x1fada\x1fr1"},
        "first_name_lc": {"S": "ada"},
        "last_name_lc": {"S": "lovelace"},
        "first_name": {"S": "Ada"},
        "last_name": {"S": "Lovelace"},
        "role": {"S": "Engineer"},
        "salary": {"N": "1234.5"},
        "document": {"S": "records/r1/v1.pdf"},
        "document_name": {"S": "cv.pdf"},
        "created_at": {"S": "2026-11-26T17:00:00Z"},
        "updated_at": {"S": "2026-11-26T17:05:00Z"},
    }
    assert from_item(ITEM) == record()
    # Version 0 is an item written before versions existed: it has no version attribute.
    assert to_item(replace(record(), version=7))["version"] == {"N": "7"}
    assert from_item({**ITEM, "version": {"N": "7"}}) == replace(record(), version=7)


def test_an_item_missing_attributes_reads_as_empty_values() -> None:
    assert from_item({"id": {"S": "r9"}}) == Record("r9", "", "", "", Decimal("0"), "", "", "", "")


# -- records -----------------------------------------------------------------------------------------------
def test_get_reads_consistently_by_id() -> None:
    dynamodb = Client(get_item={"Item": ITEM})
    assert storage(dynamodb).get_record("r1") == record()
    assert dynamodb.calls == [
        ("get_item", {"TableName": TABLE, "Key": {"id": {"S": "r1"}}, "ConsistentRead": True})
    ]
    assert storage(Client(get_item={})).get_record("r2") is None


def test_create_never_overwrites_an_existing_id() -> None:
    dynamodb = Client()
    storage(dynamodb).create_record(record())
    assert dynamodb.calls == [
        (
            "put_item",
            {
                "TableName": TABLE,
                "Item": ITEM,
                "ConditionExpression": "attribute_not_exists(#id)",
                "ExpressionAttributeNames": {"#id": "id"},
            },
        )
    ]
    with pytest.raises(ConflictError, match=r"^PutItem: the record changed meanwhile$"):
        storage(Client(put_item=error("ConditionalCheckFailedException"))).create_record(record())


AT_VERSION_3 = {
    "ConditionExpression": "#v = :v",
    "ExpressionAttributeNames": {"#v": "version"},
    "ExpressionAttributeValues": {":v": {"N": "3"}},
}
# An item written before versions existed has no version attribute: version 0.
AT_VERSION_0 = {
    "ConditionExpression": "attribute_exists(#id) AND attribute_not_exists(#v)",
    "ExpressionAttributeNames": {"#id": "id", "#v": "version"},
}


@pytest.mark.parametrize(("expected", "condition"), [(3, AT_VERSION_3), (0, AT_VERSION_0)])
def test_replace_only_the_version_that_was_read(expected: int, condition: dict[str, Any]) -> None:
    dynamodb = Client()
    new = replace(record(), version=expected + 1)
    storage(dynamodb).replace_record(new, expected_version=expected)
    assert dynamodb.calls == [("put_item", {"TableName": TABLE, "Item": to_item(new), **condition})]
    with pytest.raises(ConflictError, match=r"^PutItem: the record changed meanwhile$"):
        storage(Client(put_item=error("ConditionalCheckFailedException"))).replace_record(new, expected)


def test_delete_returns_what_was_deleted() -> None:
    dynamodb = Client(delete_item={"Attributes": ITEM})
    assert storage(dynamodb).delete_record("r1") == record()
    assert dynamodb.calls == [
        ("delete_item", {"TableName": TABLE, "Key": {"id": {"S": "r1"}}, "ReturnValues": "ALL_OLD"})
    ]
    assert storage(Client(delete_item={})).delete_record("r1") is None


@pytest.mark.parametrize(("expected", "condition"), [(3, AT_VERSION_3), (0, AT_VERSION_0)])
def test_delete_at_a_version_is_conditional(expected: int, condition: dict[str, Any]) -> None:
    dynamodb = Client(delete_item={"Attributes": ITEM})
    assert storage(dynamodb).delete_record("r1", expected) == record()
    key = {"TableName": TABLE, "Key": {"id": {"S": "r1"}}, "ReturnValues": "ALL_OLD"}
    assert dynamodb.calls == [("delete_item", {**key, **condition})]


# -- listing and search ------------------------------------------------------------------------------------
def items(*names: str) -> list[dict[str, Any]]:
    return [to_item(record(f"r{i}", first=n, last=n)) for i, n in enumerate(names)]


def key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {attr: item[attr] for attr in cursor.KEY_ATTRS}


def token(item: dict[str, Any]) -> str:
    return CURSORS.encode(item["sort_name"]["S"])


def after(item: dict[str, Any] | None) -> dict[str, str] | None:
    """The start key a page's cursor should hold: the plain values of `item`'s index key."""
    return None if item is None else {attr: item[attr]["S"] for attr in cursor.KEY_ATTRS}


def opened(page: Page) -> tuple[list[Record], dict[str, str] | None, int]:
    """A page with its cursor opened: cursors are sealed with a fresh nonce, so only their keys compare."""
    return page.items, CURSORS.decode(page.next_cursor).key() if page.next_cursor else None, page.read_count


QUERY = {
    "TableName": TABLE,
    "IndexName": "by_name",
    "KeyConditionExpression": "#pk = :pk",
    "ExpressionAttributeNames": {"#pk": "list_pk"},
}


def test_a_page_asks_one_more_item_than_it_shows_and_its_cursor_is_the_last_one_shown() -> None:
    found = items("a", "b", "c")
    dynamodb = Client(query={"Items": found, "ScannedCount": 3})

    page = storage(dynamodb).list_records(2, None)

    assert opened(page) == ([from_item(found[0]), from_item(found[1])], after(found[1]), 3)
    assert dynamodb.calls == [
        ("query", {**QUERY, "ExpressionAttributeValues": {":pk": {"S": "employee"}}, "Limit": 3})
    ]


def test_the_next_page_starts_after_the_cursor() -> None:
    found = items("a")
    dynamodb = Client(query={"Items": found})
    start = items("z")[0]

    page = storage(dynamodb).list_records(2, token(start))

    assert page == Page([from_item(found[0])], None, 1)  # no ScannedCount: the items are what was read
    assert dynamodb.calls[0][1]["ExclusiveStartKey"] == key_of(start)


def test_a_page_cut_by_dynamodbs_size_cap_goes_on_from_where_it_stopped() -> None:
    found = items("a")
    dynamodb = Client(query={"Items": found, "ScannedCount": 1, "LastEvaluatedKey": key_of(found[0])})
    assert opened(storage(dynamodb).list_records(5, None)) == ([from_item(found[0])], after(found[0]), 1)


def test_search_filters_on_lower_cased_names_within_the_read_budget() -> None:
    found = items("ada")
    dynamodb = Client(query={"Items": found, "ScannedCount": 7})

    page = storage(dynamodb, budget=50).search_records("ADA", 10, None)

    assert page == Page([from_item(found[0])], None, 7)
    assert dynamodb.calls == [
        (
            "query",
            {
                **QUERY,
                "ExpressionAttributeValues": {":pk": {"S": "employee"}, ":needle": {"S": "ada"}},
                "Limit": 50,
                "FilterExpression": "contains(first_name_lc, :needle) OR contains(last_name_lc, :needle)",
            },
        )
    ]


def test_search_reads_on_with_what_is_left_of_the_budget_and_stops_at_it() -> None:
    first, second = items("ann"), items("anna")
    dynamodb = Client(
        query=[
            {"Items": first, "ScannedCount": 30, "LastEvaluatedKey": key_of(first[0])},
            {"Items": second, "ScannedCount": 20, "LastEvaluatedKey": key_of(second[0])},
        ]
    )

    page = storage(dynamodb, budget=50).search_records("an", 10, token(items("a")[0]))

    assert [c[1]["Limit"] for c in dynamodb.calls] == [50, 20]
    assert dynamodb.calls[1][1]["ExclusiveStartKey"] == key_of(first[0])
    # The budget is spent: the page ends with a cursor to go on from, and says what it read.
    assert opened(page) == ([from_item(first[0]), from_item(second[0])], after(second[0]), 50)


def test_search_stops_once_the_page_is_full() -> None:
    found = items("an", "ann", "anna")
    dynamodb = Client(query={"Items": found, "ScannedCount": 3, "LastEvaluatedKey": key_of(found[2])})

    page = storage(dynamodb).search_records("an", 2, None)

    assert opened(page) == ([from_item(found[0]), from_item(found[1])], after(found[1]), 3)
    exact = storage(
        Client(query={"Items": found[:2], "ScannedCount": 2, "LastEvaluatedKey": key_of(found[1])})
    )
    assert opened(exact.search_records("an", 2, None)) == (
        [from_item(i) for i in found[:2]],
        after(found[1]),
        2,
    )


def test_a_budget_below_one_still_reads_one_item() -> None:
    dynamodb = Client(query={"Items": [], "ScannedCount": 1})
    assert storage(dynamodb, budget=0).search_records("x", 5, None) == Page([], None, 1)
    assert dynamodb.calls[0][1]["Limit"] == 1


# -- documents ---------------------------------------------------------------------------------------------
def test_documents_are_written_and_deleted_by_key() -> None:
    s3 = Client()
    target = storage(s3=s3)
    target.put_document("records/r1/v1.pdf", b"%PDF", "cv.pdf")
    target.delete_document("records/r1/v1.pdf")
    assert s3.calls == [
        (
            "put_object",
            {"Bucket": BUCKET, "Key": "records/r1/v1.pdf", "Body": b"%PDF", "ContentType": "application/pdf"},
        ),
        ("delete_object", {"Bucket": BUCKET, "Key": "records/r1/v1.pdf"}),
    ]


@pytest.mark.parametrize(("name", "shown"), [("cv.pdf", "cv.pdf"), ("", "document.pdf")])
def test_a_document_link_shows_the_pdf_inline_under_its_name(name: str, shown: str) -> None:
    s3 = Client(generate_presigned_url="https://signed")
    assert storage(s3=s3).document_url("records/r1/v1.pdf", name, 300) == "https://signed"
    assert s3.calls == [
        (
            "generate_presigned_url",
            {
                "_args": ("get_object",),
                "Params": {
                    "Bucket": BUCKET,
                    "Key": "records/r1/v1.pdf",
                    "ResponseContentType": "application/pdf",
                    "ResponseContentDisposition": f'inline; filename="{shown}"',
                },
                "ExpiresIn": 300,
            },
        )
    ]


# -- errors and readiness ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "client", "operation", "args"),
    [
        ("get_record", "get_item", "GetItem", ("r1",)),
        ("replace_record", "put_item", "PutItem", (record(), 0)),
        ("delete_record", "delete_item", "DeleteItem", ("r1",)),
        ("list_records", "query", "Query", (5, None)),
    ],
)
def test_each_table_error_names_its_operation_and_code(
    method: str, client: str, operation: str, args: Any
) -> None:
    target = storage(Client(**{client: error("ProvisionedThroughputExceededException")}))
    with pytest.raises(StorageError) as failed:
        getattr(target, method)(*args)
    assert str(failed.value) == f"{operation} failed: ProvisionedThroughputExceededException"
    assert not isinstance(failed.value, ConflictError)


@pytest.mark.parametrize(
    ("method", "client", "operation", "args"),
    [
        ("put_document", "put_object", "PutObject", ("k", b"x", "n")),
        ("delete_document", "delete_object", "DeleteObject", ("k",)),
        ("document_url", "generate_presigned_url", "GeneratePresignedUrl", ("k", "n", 300)),
    ],
)
def test_each_bucket_error_names_its_operation(method: str, client: str, operation: str, args: Any) -> None:
    target = storage(s3=Client(**{client: EndpointConnectionError(endpoint_url="http://s3")}))
    with pytest.raises(StorageError) as failed:
        getattr(target, method)(*args)
    assert str(failed.value) == f'{operation} failed: Could not connect to the endpoint URL: "http://s3"'


def test_an_error_without_a_code_is_shown_whole() -> None:
    bare = ClientError({}, "GetItem")
    with pytest.raises(StorageError) as failed:
        storage(Client(get_item=bare)).get_record("r1")
    assert str(failed.value) == f"GetItem failed: {bare}"


@pytest.mark.parametrize(
    ("table", "bucket", "expected"),
    [
        ({"Table": {"TableStatus": "ACTIVE"}}, {}, Readiness(True, True, True)),
        ({"Table": {"TableStatus": "UPDATING"}}, {}, Readiness(True, True, True)),
        ({"Table": {"TableStatus": "CREATING"}}, {}, Readiness(False, True, False)),
        (error("ResourceNotFoundException"), error("404"), Readiness(False, False, False)),
        (
            {"Table": {"TableStatus": "ACTIVE"}},
            EndpointConnectionError(endpoint_url="x"),
            Readiness(True, False, True),
        ),
    ],
)
def test_readiness_of_the_tables_and_the_bucket(table: Any, bucket: Any, expected: Readiness) -> None:
    """Both tables answer alike here (one fake client); test_app_health.py has one without the other."""
    dynamodb, s3 = Client(describe_table=table), Client(head_bucket=bucket)
    assert storage(dynamodb, s3).readiness() == expected
    audit_table = schema.audit_table_for(TABLE)
    assert dynamodb.calls == [
        ("describe_table", {"TableName": TABLE}),
        ("describe_table", {"TableName": audit_table}),
    ]
    assert s3.calls == [("head_bucket", {"Bucket": BUCKET})]


def test_readiness_logs_what_did_not_answer(caplog: pytest.LogCaptureFixture) -> None:
    target = storage(
        Client(describe_table=error("ResourceNotFoundException")), Client(head_bucket=error("403"))
    )
    with caplog.at_level("WARNING", logger="humangov.dynamo_storage"):
        target.readiness()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith(f"readiness: table {TABLE} does not answer: ")
    assert messages[0].endswith("(ResourceNotFoundException) when calling the Op operation: no")
    assert messages[1].startswith(f"readiness: table {schema.audit_table_for(TABLE)} does not answer: ")
    assert messages[2].startswith(f"readiness: bucket {BUCKET} does not answer: ")
    assert messages[2].endswith("(403) when calling the Op operation: no")


# -- the clients -------------------------------------------------------------------------------------------
def settings(endpoint: str | None) -> Settings:
    return Settings("texas", "us-east-1", TABLE, BUCKET, endpoint, None, 10, False)


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:5000"])
def test_clients_retry_with_bounded_timeouts_and_sign_urls_with_sigv4(endpoint: str | None) -> None:
    built = DynamoStorage.from_settings(settings(endpoint), CURSORS)

    assert (built.table, built.bucket, built.search_budget, built.cursors) == (
        TABLE,
        BUCKET,
        dynamo_storage.DEFAULT_SEARCH_BUDGET,
        CURSORS,
    )
    for client in (built.dynamodb, built.s3):
        config = client.meta.config
        assert (config.retries, config.connect_timeout, config.read_timeout) == (
            {"mode": "standard", "total_max_attempts": 4},  # max_attempts=3 retries: 4 attempts in all
            5,
            15,
        )
        assert client.meta.region_name == "us-east-1"
        assert client.meta.endpoint_url == (endpoint or client.meta.endpoint_url)
    assert built.s3.meta.config.signature_version == "s3v4"
    assert built.dynamodb.meta.config.signature_version != "s3v4"
    style = (built.s3.meta.config.s3 or {}).get("addressing_style")
    assert style == ("path" if endpoint else None)
    assert built.dynamodb.meta.service_model.service_name == "dynamodb"
    assert built.s3.meta.service_model.service_name == "s3"


def test_one_session_per_region() -> None:
    assert dynamo_storage._session("eu-west-1") is dynamo_storage._session("eu-west-1")
    assert dynamo_storage._session("eu-west-1").region_name == "eu-west-1"
    assert schema.HASH_KEY == "id"


def test_a_page_reports_what_dynamodb_read_not_what_it_returned() -> None:
    found = items("a", "b")
    page = storage(Client(query={"Items": found, "ScannedCount": 9})).list_records(5, None)
    assert page.read_count == 9


def test_a_page_exactly_as_long_as_the_limit_is_the_last_one() -> None:
    found = items("a", "b")
    assert storage(Client(query={"Items": found, "ScannedCount": 2})).list_records(2, None) == Page(
        [from_item(i) for i in found], None, 2
    )


def test_an_empty_answer_is_an_empty_last_page() -> None:
    assert storage(Client(query={})).list_records(5, None) == Page([], None, 0)
    assert storage(Client(query={})).search_records("x", 5, None) == Page([], None, 0)


def test_search_fills_the_page_across_queries_and_counts_every_read() -> None:
    first, second = items("ann"), items("anna", "annie", "annabel")
    dynamodb = Client(
        query=[
            {"Items": first, "ScannedCount": 30, "LastEvaluatedKey": key_of(first[0])},
            {"Items": second, "LastEvaluatedKey": key_of(second[2])},
        ]
    )

    page = storage(dynamodb, budget=50).search_records("an", 2, None)

    assert [c[1]["Limit"] for c in dynamodb.calls] == [50, 20]
    assert "ExclusiveStartKey" not in dynamodb.calls[0][1]
    assert dynamodb.calls[1][1]["ExclusiveStartKey"] == key_of(first[0])
    assert page.items == [from_item(first[0]), from_item(second[0])]
    assert opened(page)[1:] == (after(second[0]), 30)


def test_a_search_page_filled_exactly_goes_on_from_dynamodbs_key() -> None:
    found, later = items("an", "ann"), items("zz")[0]
    dynamodb = Client(query={"Items": found, "ScannedCount": 5, "LastEvaluatedKey": key_of(later)})
    assert opened(storage(dynamodb).search_records("an", 2, None)) == (
        [from_item(i) for i in found],
        after(later),
        5,
    )
