"""A provisioned state: two RUNNING tasks in distinct AZs, all targets healthy, a record with its PDF
through the load balancer lands in the state's table and bucket and reads back, on either platform."""

from __future__ import annotations

import uuid

from botocore.exceptions import ClientError
from livekit import LiveStack

from humangov_deploy import appsrc
from humangov_deploy.verify import verify

TIMEOUT = 15


def sample_pdf(marker: str) -> bytes:
    return f"%PDF-1.4\n% humangov live {marker}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".encode()


def test_two_running_tasks_in_distinct_availability_zones(stack: LiveStack) -> None:
    running = [t for t in stack.refresh().tasks if t.status == "RUNNING"]
    assert len(running) >= 2, stack.status.tasks
    assert len({t.az for t in running}) >= 2, f"tasks share an AZ: {running}"


def test_every_target_is_healthy_behind_the_load_balancer(stack: LiveStack) -> None:
    tasks = stack.refresh().tasks
    assert tasks and all(t.healthy for t in tasks if t.status == "RUNNING"), tasks
    assert stack.http.get(f"{stack.url}/healthz", timeout=TIMEOUT).status_code == 200


def test_the_state_is_a_silo(stack: LiveStack) -> None:
    schema = appsrc.schema()
    assert stack.status.table == schema.table_name(stack.state)
    assert stack.status.bucket and stack.status.bucket.startswith(schema.bucket_prefix(stack.state))
    # A visitor lands on the sign-in page, which names the state.
    page = stack.anonymous().get(f"{stack.url}/", timeout=TIMEOUT)
    assert page.status_code == 200 and appsrc.display_name(stack.state) in page.text
    assert page.url == f"{stack.url}/login?next=/"


def test_anonymous_is_refused_a_viewer_cannot_write_and_writes_are_audited(stack: LiveStack) -> None:
    visitor = stack.anonymous()
    assert visitor.get(f"{stack.url}/records", allow_redirects=False, timeout=TIMEOUT).status_code == 302
    assert visitor.get(f"{stack.url}/api/employees", timeout=TIMEOUT).status_code == 401
    viewer, _ = stack.add_user("viewer")
    viewer_auth = {"Authorization": f"Bearer {stack.admin().create_token(viewer)[1]}"}
    refused = visitor.post(
        f"{stack.url}/api/employees",
        data={"first_name": "No", "last_name": "Write", "role": "Viewer", "salary": "1"},
        files={"pdf": ("no.pdf", sample_pdf("viewer"), "application/pdf")},
        headers=viewer_auth,
        timeout=TIMEOUT,
    )
    assert refused.status_code == 403, refused.text
    assert visitor.get(f"{stack.url}/api/employees", headers=viewer_auth, timeout=TIMEOUT).status_code == 200
    created = stack.http.post(
        f"{stack.url}/api/employees",
        data={"first_name": "Audited", "last_name": "Write", "role": "Tester", "salary": "1"},
        files={"pdf": ("audited.pdf", sample_pdf("audit"), "application/pdf")},
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    assert stack.http.delete(f"{stack.url}/api/employees/{record_id}", timeout=TIMEOUT).ok
    entries = stack.admin().audit_page(record_id=record_id).items
    assert [e.action for e in entries] == ["record.delete", "record.create"]
    assert {e.who for e in entries} == {next(u for u in stack.users if u.startswith("pytest-editor-"))}


def test_a_record_with_a_pdf_lands_in_the_table_and_the_bucket_and_reads_back(stack: LiveStack) -> None:
    marker = uuid.uuid4().hex[:10]
    pdf = sample_pdf(marker)
    created = stack.http.post(
        f"{stack.url}/api/employees",
        data={"first_name": "Live", "last_name": f"Test-{marker}", "role": "Tester", "salary": "1234"},
        files={"pdf": (f"live-{marker}.pdf", pdf, "application/pdf")},
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    record = created.json()
    clients = stack.platform.data_clients(stack.state)
    try:
        item = clients.dynamodb.get_item(
            TableName=stack.status.table,
            Key={appsrc.schema().HASH_KEY: {"S": record["id"]}},
            ConsistentRead=True,
        )
        assert item["Item"]["last_name"]["S"] == f"Test-{marker}"
        stored = clients.s3.get_object(Bucket=stack.status.bucket, Key=record["document"])["Body"].read()
        assert stored == pdf

        # Read back through the load balancer, a few times so both tasks answer.
        for _ in range(4):
            read = stack.http.get(f"{stack.url}/api/employees/{record['id']}", timeout=TIMEOUT)
            assert read.status_code == 200 and read.json()["last_name"] == f"Test-{marker}"
        document = stack.http.get(f"{stack.url}/api/employees/{record['id']}/document", timeout=TIMEOUT)
        assert document.status_code == 200 and document.content == pdf
    finally:
        deleted = stack.http.delete(f"{stack.url}/api/employees/{record['id']}", timeout=TIMEOUT)
    assert deleted.status_code == 204
    try:
        clients.s3.head_object(Bucket=stack.status.bucket, Key=record["document"])
        still_there = True
    except ClientError:
        still_there = False
    assert not still_there, "the PDF outlived its record"


def test_verify_passes_every_check(stack: LiveStack) -> None:
    report = verify(stack.platform, stack.state, progress=lambda _m: None)
    assert report.ok, str(report)
    assert {c.name for c in report.checks} >= {
        *("tasks", "targets", "create", "table", "bucket", "read"),
        *("anonymous", "signin", "viewer", "audit", "users"),
    }
