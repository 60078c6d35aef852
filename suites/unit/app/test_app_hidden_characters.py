"""Names that show nothing or reverse the text are refused, naming the field (issue 21, item 10)."""

from __future__ import annotations

import pytest
from app_testkit import API_HEADERS, StateData, add_record, form, text
from flask.testing import FlaskClient

HIDDEN = {
    "zero-width space": "\u200b",
    "zero-width joiner alone": "\u200d",
    "zero-width non-joiner alone": "\u200c",
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "Hangul filler": "\u3164",
    "Hangul choseong filler": "\u115f",
    "halfwidth Hangul filler": "\uffa0",
    "tag letter": "\U000e0041",
    "noncharacter": "\ufdd0",
    "noncharacter at plane end": "\U0001fffe",
    "private use": "\ue000",
    "unassigned": "\u0378",
    "braille blank": "\u2800",
    "soft hyphen": "\u00ad",
    "byte order mark": "\ufeff",
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_a_hidden_character_in_a_name_is_refused_naming_the_field(  # a joiner: beside Latin letters
    client: FlaskClient, data: StateData, name: str
) -> None:
    char = HIDDEN[name]
    page = client.post("/new_record", data=form(client, first_name=f"Ada{char}"))
    assert page.status_code == 400
    assert "First name: contains a character that shows nothing" in text(page)
    api = client.post("/api/employees", data=form(last_name=f"{char}Lovelace"), headers=API_HEADERS)
    assert api.status_code == 400
    assert api.get_json()["fields"]["last_name"].startswith(
        f"Last name: contains a character that shows nothing or changes how the text reads (U+{ord(char):04X}"
    )
    assert data.items() == []


@pytest.mark.parametrize(
    "name",
    [
        "José Ñúñez",
        "Zoë O'Brien-Smith",
        "李小龍",
        "محمد",
        "Ω 👩🏽\u200d💻",
        "किरण",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    ],
)
def test_names_of_the_world_are_still_accepted(client: FlaskClient, data: StateData, name: str) -> None:
    record = add_record(client, first_name=name)
    assert record["first_name"] == name
