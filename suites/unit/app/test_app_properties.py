"""Property-based tests of input parsing: salaries, page limits, names and cursors (issue 12, item 7).

Whatever text arrives, parsing either accepts it (and the value round-trips) or refuses it with the
app's own error (a 400), never with another exception (a 500).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from app_testkit import API_HEADERS, SECRET, app_config, create_state_data, form, signed_in
from flask.testing import FlaskClient
from humangov import create_app, cursor, schema
from humangov.cursor import Cursors
from humangov.inputs import MAX_PAGE_SIZE, page_limit
from humangov.model import MAX_SALARY, MAX_TEXT_LENGTH, ValidationError, validate_fields
from humangov.storage import BadCursorError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

CURSORS = Cursors(SECRET)  # the app's cursors (app_config's SECRET_KEY)
# Reproducible in CI (derandomize) and no example database written into the checkout.
PARSING = settings(derandomize=True, database=None, deadline=None, max_examples=300)
THROUGH_THE_APP = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
BASE = {"first_name": "Ada", "last_name": "Lovelace", "role": "Teacher", "salary": "1"}
# Text as clients send it: any code point, plus the ones that broke parsing before (digits int() refuses
# or that are not ASCII, lone surrogates from JSON's "\ud800" escapes, U+FFFD from bytes not UTF-8).
TRICKY = "\u00b2\u0661\uff11\ud800\udfff\ufffd\u0390,.0123456789 "
# (Joined from a list: st.text() drops surrogates from its alphabet.)
ANY_TEXT = st.lists(st.one_of(st.characters(codec=None), st.sampled_from(TRICKY)), max_size=120).map("".join)
DIGIT_LIKE = st.text(
    st.sampled_from("0123456789\u00b2\u00b3\u2460\u0661\u0663\uff11"), min_size=1, max_size=4
)
# Names whose case folding grows them ("\u0390" folds to 3 code points, 6 bytes), up to the length limit.
LONG_NAMES = st.text(st.sampled_from("\u0390\u00df\ufb03\U0001f600a"), min_size=80, max_size=MAX_TEXT_LENGTH)
NAMES = st.one_of(ANY_TEXT, LONG_NAMES)
# Cursor payloads near the real format: JSON pieces, lone surrogate escapes, deep nesting (Hypothesis
# raises the recursion limit while it runs, so test_app_input_limits pins the RecursionError case).
JSON_PIECES = ["[", "]", '"', ",", "\\ud800", "\\u0041", schema.LIST_PARTITION_VALUE, "x", "1"]
CURSOR_PAYLOADS = st.one_of(
    st.lists(st.sampled_from(JSON_PIECES), max_size=40).map("".join),
    st.integers(min_value=1000, max_value=1530).map(lambda n: "[" * n),
    st.builds(lambda a, b: f'["{a}","{schema.LIST_PARTITION_VALUE}","{b}"]', ANY_TEXT, ANY_TEXT),
)
# Near misses of the format: digit groups of any length between commas, 0 to 3 decimals.
NEAR_SALARIES = st.builds(
    lambda groups, decimals: ",".join(groups) + decimals,
    st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=4),
    st.one_of(st.just(""), st.text("0123456789", max_size=3).map(lambda d: "." + d)),
)
SALARIES = st.decimals(min_value=0, max_value=MAX_SALARY, places=2, allow_nan=False, allow_infinity=False)


@pytest.fixture(scope="module")
def app_client() -> Iterator[FlaskClient]:
    # One table, bucket and app for all examples: each example only reads, or refuses to write.
    with mock_aws():
        create_state_data()
        yield signed_in(create_app(app_config()).test_client())


def _salary_of(raw: object) -> Decimal:
    salary: Decimal = validate_fields({**BASE, "salary": raw})["salary"]
    return salary


@PARSING
@given(SALARIES, st.booleans())
def test_every_salary_written_in_the_format_reads_back_equal(value: Decimal, grouped: bool) -> None:
    written = f"{value:,.2f}" if grouped else f"{value:.2f}"
    assert _salary_of(written) == value
    assert _salary_of(written.rstrip("0").rstrip(".") or "0") == value


def _format_oracle(text: str) -> bool:
    """The documented format, checked without a regular expression."""
    whole, _, decimals = text.partition(".")
    if "." in text and not (1 <= len(decimals) <= 2 and decimals.isascii() and decimals.isdigit()):
        return False
    groups = whole.split(",")
    if not all(g.isascii() and g.isdigit() for g in groups):
        return False
    return len(groups) == 1 or (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]))


@PARSING
@given(st.one_of(ANY_TEXT, st.text(alphabet="0123456789,.-+ e", max_size=16), NEAR_SALARIES))
def test_a_salary_is_accepted_exactly_when_it_is_in_the_format(raw: str) -> None:
    try:
        value = _salary_of(raw)
    except ValidationError as exc:
        assert set(exc.errors) == {"salary"}
        text = raw.strip()
        assert not _format_oracle(text) or Decimal(text.replace(",", "")) > MAX_SALARY
    else:
        assert _format_oracle(raw.strip())
        assert value == Decimal(raw.strip().replace(",", ""))


@PARSING
@given(st.one_of(ANY_TEXT, DIGIT_LIKE))
def test_a_page_limit_is_an_ascii_number_from_1_to_100_or_a_400(raw: str) -> None:
    try:
        limit = page_limit(raw)
    except ValidationError as exc:
        assert set(exc.errors) == {"limit"}
        assert not (re.fullmatch(r"[0-9]+", raw) and 1 <= int(raw) <= MAX_PAGE_SIZE)
    else:
        assert raw == "" or (re.fullmatch(r"[0-9]+", raw) and limit == int(raw))
        assert 1 <= limit <= MAX_PAGE_SIZE


@PARSING
@given(NAMES, NAMES, ANY_TEXT)
def test_every_accepted_name_is_storable_and_fits_the_sort_key(first: str, last: str, role: str) -> None:
    try:
        fields = validate_fields({**BASE, "first_name": first, "last_name": last, "role": role})
    except ValidationError as exc:
        assert set(exc.errors) <= {"first_name", "last_name", "role"}
        return
    for name, raw in (("first_name", first), ("last_name", last), ("role", role)):
        assert fields[name] == " ".join(raw.split())  # accepted text round-trips, spaces collapsed
        assert 1 <= len(fields[name]) <= MAX_TEXT_LENGTH
        fields[name].encode("utf-8")  # storable: DynamoDB strings are UTF-8
    key = schema.sort_name(fields["first_name"], fields["last_name"], "f" * 64)
    assert len(key.encode("utf-8")) <= schema.MAX_SORT_KEY_BYTES


@PARSING
# Random bytes in base64 reach json.loads; random text mostly stops at base64 or at the length check.
@given(
    st.one_of(
        ANY_TEXT,
        st.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode()),
        CURSOR_PAYLOADS.map(lambda p: base64.urlsafe_b64encode(p.encode("utf-8", "surrogatepass")).decode()),
    )
)
def test_any_cursor_text_the_app_did_not_seal_is_bad_cursor(token: str) -> None:
    # Only a cursor sealed under the state's key opens: anything else, however near the old JSON format,
    # is the app's 400 (BadCursorError), never another exception.
    with pytest.raises(BadCursorError):
        CURSORS.decode(token)


def _accepted(name: str) -> str | None:
    try:
        return str(validate_fields({"first_name": name}, partial=True)["first_name"])
    except ValidationError:
        return None


ACCEPTED_NAMES = NAMES.map(_accepted).filter(lambda name: name is not None)


@settings(PARSING, max_examples=60)
@given(ACCEPTED_NAMES, ACCEPTED_NAMES, st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True))
def test_every_cursor_the_app_can_issue_is_short_opaque_and_opens_to_its_key(
    first: str, last: str, record_id: str
) -> None:
    key = schema.sort_name(first, last, record_id)
    token = CURSORS.encode(key)
    assert len(token) <= cursor.MAX_CURSOR_LENGTH
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # url-safe as it is
    opened = CURSORS.decode(token).key()
    assert opened == {"id": record_id, "list_pk": schema.LIST_PARTITION_VALUE, "sort_name": key}
    sealed = base64.urlsafe_b64decode(token + "==")
    for part in key.split(schema.SORT_NAME_SEPARATOR)[:2]:
        assert len(part) < 4 or part[:4].encode("utf-8") not in sealed  # no name in clear


@THROUGH_THE_APP
@given(
    limit=st.one_of(ANY_TEXT, DIGIT_LIKE),
    token=st.one_of(
        ANY_TEXT,
        CURSOR_PAYLOADS.map(lambda p: base64.urlsafe_b64encode(p.encode("utf-8", "surrogatepass")).decode()),
    ),
)
def test_no_query_parameter_causes_a_500(app_client: FlaskClient, limit: str, token: str) -> None:
    for url in ("/api/employees", "/records", "/search"):
        # As bytes on the wire: a surrogate becomes bytes that are not UTF-8, which the server must take.
        raw = {"limit": limit, "cursor": token, "name": token}
        query = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in raw.items()})
        response = app_client.get(f"{url}?{query}")
        assert response.status_code in (200, 400), (url, response.status_code)


@THROUGH_THE_APP
@given(salary=st.one_of(ANY_TEXT, st.integers(), st.floats()), name=NAMES)
def test_no_json_patch_causes_a_500(app_client: FlaskClient, salary: object, name: str) -> None:
    created = app_client.post("/api/employees", data=form(), headers=API_HEADERS)
    record = created.get_json()
    response = app_client.patch(
        f"/api/employees/{record['id']}", json={"salary": salary, "first_name": name}, headers=API_HEADERS
    )
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    after = app_client.get(f"/api/employees/{record['id']}").get_json()
    if response.status_code == 200:
        assert after["first_name"] == " ".join(name.split())
    else:
        assert after == record
    assert app_client.delete(f"/api/employees/{record['id']}", headers=API_HEADERS).status_code == 204
