"""One salary format: digits, commas between groups of three, at most 2 decimals after a point (issue 12)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from app_testkit import API_HEADERS, StateData, add_record, form, text
from flask.testing import FlaskClient
from humangov.model import SALARY_FORMAT, validate_fields

BASE = {"first_name": "Ada", "last_name": "Lovelace", "role": "Teacher"}


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("52000", "52000"),
        ("52,000", "52000"),
        ("1,234,567.5", "1234567.50"),
        ("52000.50", "52000.50"),
        ("52,000.05", "52000.05"),
        (" 999 ", "999"),
        ("0", "0"),
        ("1,000,000,000", "1000000000"),
    ],
)
def test_a_salary_in_the_format_is_stored_as_written(
    client: FlaskClient, data: StateData, sent: str, stored: str
) -> None:
    record = add_record(client, salary=sent)
    item = data.item(record["id"])
    assert item is not None
    assert item["salary"]["N"] == stored
    assert Decimal(str(record["salary"])) == Decimal(stored)


@pytest.mark.parametrize(
    "salary",
    [
        "1,5",  # stored as 15 before: commas were stripped wherever they were
        "52,00",
        "1,2345",
        "12,34,567",
        ",000",
        "1,000,",
        "52000.",
        ".5",
        "1.234",
        "+5",
        "1_000",
        "1e3",
        "5 000",
        "52.000,50",
        "\u0665\u0660\u0660",  # Arabic-Indic 500: Decimal reads it, the format is ASCII digits
        "\uff15\uff10",  # fullwidth 50
    ],
)
def test_a_salary_outside_the_format_is_400_with_the_format(
    client: FlaskClient, data: StateData, salary: str
) -> None:
    response = client.post("/new_record", data=form(client, salary=salary))
    assert response.status_code == 400
    body = text(response)
    assert "Salary: must be a number written as digits" in body
    assert "52,000.50" in body
    api = client.post("/api/employees", data=form(salary=salary), headers=API_HEADERS)
    assert api.status_code == 400
    assert api.get_json()["fields"] == {"salary": f"Salary: must be a number {SALARY_FORMAT}"}
    assert data.items() == []


@pytest.mark.parametrize(("sent", "stored"), [(60000, "60000"), (52000.5, "52000.50"), (0.25, "0.25")])
def test_a_json_number_in_the_format_is_accepted(
    client: FlaskClient, data: StateData, sent: float, stored: str
) -> None:
    record = add_record(client)
    response = client.patch(f"/api/employees/{record['id']}", json={"salary": sent}, headers=API_HEADERS)
    assert response.status_code == 200
    item = data.item(record["id"])
    assert item is not None
    assert item["salary"]["N"] == stored


@pytest.mark.parametrize("sent", [0.1 + 0.2, 1234.567, 1e16, "1,5"])
def test_a_json_salary_outside_the_format_is_400(client: FlaskClient, data: StateData, sent: object) -> None:
    record = add_record(client)
    before = data.item(record["id"])
    response = client.patch(f"/api/employees/{record['id']}", json={"salary": sent}, headers=API_HEADERS)
    assert response.status_code == 400
    assert SALARY_FORMAT in response.get_json()["error"]
    assert data.item(record["id"]) == before


def test_negative_and_too_large_salaries_keep_their_own_messages() -> None:
    for raw, message in (("-5", "must not be negative"), ("-1,000.50", "must not be negative")):
        with pytest.raises(Exception, match=message):
            validate_fields({**BASE, "salary": raw})
    with pytest.raises(Exception, match="must be at most 1,000,000,000"):
        validate_fields({**BASE, "salary": "1,000,000,000.01"})


def test_the_form_shows_the_format_next_to_the_salary(client: FlaskClient) -> None:
    page = text(client.get("/new_record"))
    assert '<p class="hint" id="salary-hint">Digits, optionally with commas between groups of three' in page
    assert 'aria-describedby="salary-hint"' in page
    again = text(client.post("/new_record", data=form(client, salary="1,5")))
    assert 'aria-describedby="salary-hint salary-error" aria-invalid="true"' in again
    assert 'aria-describedby="role-hint' not in again
