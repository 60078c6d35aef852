"""The server-rendered pages on moto: every route of the HTTP contract, end to end."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from app_testkit import (
    BUCKET,
    PDF,
    StateData,
    add_record,
    app_config,
    form,
    moto_storage,
    seed_records,
    signed_in,
    text,
)
from flask.testing import FlaskClient
from humangov import create_app, schema

NEXT_LINK = re.compile(r'<a rel="next" href="([^"]+)"')
ROW_ID = re.compile(r'name="id" value="([^"]+)"')


def test_home_shows_the_state_display_name(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "California" in text(response)


def test_home_of_a_two_word_state(data: StateData) -> None:
    config = app_config(
        US_STATE="new-york",
        AWS_DYNAMODB_TABLE=schema.table_name("new-york"),
        AWS_BUCKET=schema.bucket_prefix("new-york") + "abcd",
    )
    body = text(create_app(config).test_client().get("/login"))  # anonymous: no table needed
    assert "New York" in body
    assert "California" not in body


def test_new_record_form_has_the_contract_fields(client: FlaskClient) -> None:
    body = text(client.get("/new_record"))
    for field in ("first_name", "last_name", "role", "salary", "pdf", "csrf_token"):
        assert f'name="{field}"' in body
    assert 'type="hidden" name="csrf_token"' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'type="file"' in body


def test_new_record_stores_the_pdf_and_the_record_then_redirects(
    client: FlaskClient, data: StateData
) -> None:
    response = client.post("/new_record", data=form(client, first_name="Grace", last_name="Hopper"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/records"
    [item] = data.items()
    assert item["first_name"]["S"] == "Grace"
    assert item["last_name"]["S"] == "Hopper"
    assert item["salary"]["N"] == "52000"
    key = item["document"]["S"]
    assert re.fullmatch(rf"{schema.DOCUMENT_PREFIX}{item['id']['S']}/[0-9a-f]{{32}}\.pdf", key)
    assert data.object_keys() == [key]
    assert data.body(key) == PDF
    assert "Grace" in text(client.get("/records"))


def test_records_are_sorted_by_last_then_first_name(client: FlaskClient, data: StateData) -> None:
    seed_records(data, [("Zoe", "Adams"), ("amy", "Brown"), ("Bob", "adams"), ("Carl", "Young")])
    body = text(client.get("/records"))
    positions = [body.index(name) for name in ("adams, Bob", "Adams, Zoe", "Brown, amy", "Young, Carl")]
    assert positions == sorted(positions)


def _walk_pages(client: FlaskClient, url: str) -> tuple[list[str], int]:
    """Follow the HTML page links from `url`; return the record ids in order and the number of pages."""
    ids: list[str] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = text(response)
        ids.extend(ROW_ID.findall(body))
        pages += 1
        match = NEXT_LINK.search(body)
        url = match.group(1).replace("&amp;", "&") if match else ""
    return ids, pages


def test_page_links_reach_every_record_once_in_order(client: FlaskClient, data: StateData) -> None:
    # Same names on purpose: the sort key carries the id, so no record hides behind a twin.
    names = [("Sam", "Smith")] * 30 + [(f"F{i:02d}", f"L{i % 7}") for i in range(31)]
    ids = seed_records(data, names)
    seen, pages = _walk_pages(client, "/records")
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 61
    assert pages == 3  # 25 + 25 + 11: the last page has no dead "next" link
    expected = sorted(ids, key=lambda i: schema.sort_name(*names[int(i[4:])], i))
    assert seen == expected


def test_first_page_link_appears_on_later_pages(client: FlaskClient, data: StateData) -> None:
    seed_records(data, [(f"F{i}", "Same") for i in range(30)])
    first = text(client.get("/records"))
    assert "First page" not in first
    second = text(client.get(NEXT_LINK.search(first).group(1)))  # type: ignore[union-attr]
    assert 'href="/records">First page' in second


def test_empty_listing_invites_the_first_record(client: FlaskClient) -> None:
    body = text(client.get("/records"))
    assert "No records" in body
    assert 'rel="next"' not in body


def test_search_is_case_insensitive_on_first_and_last_name(client: FlaskClient, data: StateData) -> None:
    seed_records(data, [("Marianne", "Moore"), ("Ann", "Lee"), ("Bob", "Hanna"), ("Carl", "Smith")])
    body = text(client.get("/search?name=ANN"))
    for hit in ("Moore, Marianne", "Lee, Ann", "Hanna, Bob"):
        assert hit in body
    assert "Smith" not in body


def test_search_follows_continue_links_to_every_match(data: StateData) -> None:
    # A tiny read budget makes the search span many requests, some without any match.
    storage = moto_storage()
    storage.search_budget = 5
    client = signed_in(create_app(app_config(), storage=storage).test_client())
    names = [(f"Other{i}", "Person") for i in range(40)] + [(f"Needle{i}", "Z") for i in range(30)]
    ids = seed_records(data, names)
    seen, pages = _walk_pages(client, "/search?name=needle")
    assert sorted(seen) == sorted(ids[40:])
    assert pages > 3


def test_search_page_without_a_name_shows_the_prompt(client: FlaskClient) -> None:
    response = client.get("/search")
    assert response.status_code == 200
    assert "Search by name" in text(response)


def test_edit_record_shows_the_values_and_saves_changes(client: FlaskClient, data: StateData) -> None:
    record = add_record(client, first_name="Ada", role="Teacher")
    page = text(client.get(f"/edit_record/{record['id']}"))
    assert 'value="Ada"' in page
    assert 'value="Teacher"' in page
    response = client.post(
        f"/edit_record/{record['id']}",
        data=form(
            client, pdf=None, role="Principal", salary="61000.50", token_from=f"/edit_record/{record['id']}"
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/records"
    item = data.item(record["id"])
    assert item is not None
    assert item["role"]["S"] == "Principal"
    assert item["salary"]["N"] == "61000.50"
    assert item["document"]["S"] == record["document"]  # no new file: the PDF stays
    assert data.object_keys() == [record["document"]]


def test_edit_with_a_new_pdf_replaces_the_object(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    new_pdf = PDF + b"% second version\n"
    response = client.post(
        f"/edit_record/{record['id']}",
        data=form(client, pdf=new_pdf, file_name="v2.pdf", token_from=f"/edit_record/{record['id']}"),
    )
    assert response.status_code == 302
    item = data.item(record["id"])
    assert item is not None
    new_key = item["document"]["S"]
    assert new_key != record["document"]
    assert new_key.startswith(f"{schema.DOCUMENT_PREFIX}{record['id']}/")
    assert data.object_keys() == [new_key]  # the old object is gone, the new one is there
    assert data.body(new_key) == new_pdf
    assert item["document_name"]["S"] == "v2.pdf"


def test_delete_removes_the_record_and_its_pdf(client: FlaskClient, data: StateData) -> None:
    keep = add_record(client, first_name="Keep")
    gone = add_record(client, first_name="Gone")
    token = csrf_token_of_list(client)
    response = client.post("/records/delete", data={"id": gone["id"], "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/records"
    assert data.item(gone["id"]) is None
    assert data.object_keys() == [keep["document"]]
    assert "Deleted Gone Lovelace" in text(client.get("/records"))


def csrf_token_of_list(client: FlaskClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/records")))
    assert match
    return match.group(1)


def test_pdf_link_redirects_to_a_short_lived_presigned_url(client: FlaskClient) -> None:
    record = add_record(client, file_name="Signed Contract.pdf")
    response = client.get(f"/records/pdf/{record['id']}")
    assert response.status_code == 302
    url = urlsplit(response.headers["Location"])
    query = parse_qs(url.query)
    assert BUCKET in url.netloc + url.path
    assert url.path.endswith(record["document"])
    # The contract (README, HTTP interface): the presigned URL is valid 5 minutes, exactly.
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"] == ['inline; filename="Signed_Contract.pdf"']


def test_html_in_a_name_is_shown_escaped(client: FlaskClient) -> None:
    add_record(client, first_name="<script>alert(1)</script>", last_name='"><img src=x onerror=alert(2)>')
    for url in ("/records", "/search?name=script"):
        body = text(client.get(url))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<script>" not in body
        assert "<img src=x" not in body


def test_pages_have_no_inline_script_or_style_and_link_the_stylesheet(client: FlaskClient) -> None:
    record = add_record(client)
    for url in ("/", "/records", "/new_record", f"/edit_record/{record['id']}", "/search?name=a", "/nope"):
        body = text(client.get(url))
        assert "<script" not in body
        assert "<style" not in body
        assert "style=" not in body
        assert 'href="/static/style.css"' in body
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"


def test_pages_with_records_are_not_cached(client: FlaskClient) -> None:
    assert client.get("/records").headers["Cache-Control"] == "no-store"
