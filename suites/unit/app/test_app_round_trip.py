"""Storage round trip (issue 12, item 7), property-based on moto: any record the API accepts reads back
equal through the API, its PDF byte for byte; any request it refuses leaves the table and bucket as they
were. The oracle is what was sent (text with spaces collapsed, the salary's number), not the validator.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from app_testkit import API_HEADERS, PDF, StateData, add_record
from flask.testing import FlaskClient
from humangov.model import safe_file_name
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

ROUND_TRIP = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
TEXT_FIELDS = ("first_name", "last_name", "role")
# Text as clients send it; near the limits (100 characters, folding that grows, spaces, controls).
TRICKY = "ΐß\ufb03\U0001f600 \t\x1f\x00\ufffdaZ0"
# Mostly names that should store (letters, digits, spaces of any script), the rest anything at all.
STORABLE = st.text(st.characters(categories=("L", "M", "N", "Zs", "Pd", "So")), min_size=1, max_size=100)
TEXT = st.one_of(
    STORABLE,
    STORABLE,
    st.text(st.characters(codec="utf-8"), max_size=110),
    st.text(st.sampled_from(TRICKY), max_size=110),
)
# JSON can carry lone surrogates too; multipart text cannot (it is bytes on the wire).
JSON_TEXT = st.one_of(TEXT, st.lists(st.sampled_from(["\ud800", "a", "\udfff"]), max_size=4).map("".join))
SALARY = st.one_of(
    st.integers(min_value=0, max_value=1_000_000_000).map(str),
    st.decimals(min_value=0, max_value=10**9, places=2).map(lambda d: f"{d:,}"),
    st.integers(min_value=-5, max_value=1_000_000_001).map(str),
    st.sampled_from(["52,000", "52,000.50", "1,5", "0.123", "1e3", "", " 7 "]),
    st.text("0123456789,.-", max_size=12),
)
PDF_BODY = st.one_of(st.binary(max_size=48).map(lambda tail: PDF + tail), st.binary(max_size=8))
FILE_NAME = st.sampled_from(["a.pdf", "Offer Letter.PDF", "résumé.pdf", "履歴書.pdf", "notes.txt", ""])


def snapshot(data: StateData) -> tuple[list[Any], list[tuple[str, bytes]]]:
    items = sorted(data.items(), key=lambda item: item["id"]["S"])
    return items, [(key, data.body(key)) for key in sorted(data.object_keys())]


def salary_of(text: str) -> Decimal:
    return Decimal(text.strip().replace(",", ""))


def assert_reads_back(client: FlaskClient, record_id: str, sent: dict[str, Any]) -> dict[str, Any]:
    got: dict[str, Any] = client.get(f"/api/employees/{record_id}").get_json()
    for name, value in sent.items():
        if name == "salary":
            assert Decimal(str(got["salary"])) == (salary_of(value) if isinstance(value, str) else value)
        else:
            assert got[name] == " ".join(value.split()), name
    return got


@ROUND_TRIP
@given(
    st.fixed_dictionaries({"first_name": TEXT, "last_name": TEXT, "role": TEXT, "salary": SALARY}),
    PDF_BODY,
    FILE_NAME,
)
# Each property runs both sides: explicit examples that must be accepted, whatever the strategies draw.
@example(
    {"first_name": "Zoë", "last_name": "  O'Brien  ", "role": "Teacher", "salary": "52,000.50"}, PDF, "a.pdf"
)
def test_a_created_record_reads_back_equal_or_changes_nothing(
    client: FlaskClient, data: StateData, fields: dict[str, str], pdf: bytes, file_name: str
) -> None:
    before = snapshot(data)
    response = client.post(
        "/api/employees", data={**fields, "pdf": (io.BytesIO(pdf), file_name)}, headers=API_HEADERS
    )
    if response.status_code != 201:
        assert response.status_code == 400, response.get_data(as_text=True)
        assert snapshot(data) == before
        return
    record = assert_reads_back(client, response.get_json()["id"], fields)
    assert data.body(record["document"]) == pdf
    item = data.item(record["id"])
    assert item is not None and item["document_name"]["S"] == safe_file_name(file_name)
    assert sorted(data.object_keys()) == sorted([*(key for key, _ in before[1]), record["document"]])


@ROUND_TRIP
@given(
    st.dictionaries(st.sampled_from(TEXT_FIELDS), JSON_TEXT, max_size=3),
    st.one_of(st.none(), SALARY, st.integers(min_value=-1, max_value=10**10), st.floats(allow_nan=False)),
)
@example({"role": "ΐ" * 100, "last_name": "\U0001f600 x"}, 52000.5)
def test_a_json_patch_reads_back_equal_or_changes_nothing(
    client: FlaskClient, data: StateData, texts: dict[str, str], salary: Any
) -> None:
    record = add_record(client) if not data.items() else client.get("/api/employees").get_json()["items"][0]
    sent: dict[str, Any] = dict(texts) if salary is None else {**texts, "salary": salary}
    before = snapshot(data)
    response = client.patch(f"/api/employees/{record['id']}", json=sent, headers=API_HEADERS)
    if response.status_code != 200:
        assert response.status_code == 400, response.get_data(as_text=True)
        assert snapshot(data) == before
        return
    expected = {
        k: Decimal(str(v)) if k == "salary" and not isinstance(v, str) else v for k, v in sent.items()
    }
    got = assert_reads_back(client, record["id"], expected)
    untouched = {k for k in (*TEXT_FIELDS, "salary", "document") if k not in sent}
    assert {k: got[k] for k in untouched} == {k: response.get_json()[k] for k in untouched}
    assert got["version"] == record["version"] + 1
    assert [key for key, _ in snapshot(data)[1]] == [key for key, _ in before[1]]  # no object added


@ROUND_TRIP
@given(PDF_BODY, FILE_NAME)
@example(PDF + b"% another\n", "履歴書.pdf")
def test_a_replaced_pdf_reads_back_byte_for_byte_or_changes_nothing(
    client: FlaskClient, data: StateData, pdf: bytes, file_name: str
) -> None:
    record = add_record(client) if not data.items() else client.get("/api/employees").get_json()["items"][0]
    before = snapshot(data)
    response = client.patch(
        f"/api/employees/{record['id']}", data={"pdf": (io.BytesIO(pdf), file_name)}, headers=API_HEADERS
    )
    if response.status_code != 200:
        assert response.status_code == 400, response.get_data(as_text=True)
        assert snapshot(data) == before
        return
    got = client.get(f"/api/employees/{record['id']}").get_json()
    assert data.object_keys() == [got["document"]]  # the old PDF went with the old version
    assert data.body(got["document"]) == pdf
