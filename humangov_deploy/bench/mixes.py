"""The request mixes of a bench run: what a clerk of a state's HR office does, and how often.

Shared by the locustfile (which sends them) and by the results (which report one row per mix), so the
two never disagree on a name. Weights are relative: of every 100 requests, about 30 list a page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mix:
    name: str
    weight: int
    what: str


MIXES: tuple[Mix, ...] = (
    Mix("list", 30, "GET /records: the first page of records (25, in name order)"),
    Mix("search", 20, "GET /search?name=...: a name search that matches the bench's records"),
    Mix("read", 25, "GET /edit_record/<id>: one record's page"),
    Mix("pdf", 15, "GET /records/pdf/<id>: the redirect to the record's PDF (a presigned S3 URL)"),
    Mix("create", 10, "POST /api/employees: a new record with a small PDF (removed at the end)"),
)
MIX_NAMES: tuple[str, ...] = tuple(m.name for m in MIXES)
WEIGHTS: dict[str, int] = {m.name: m.weight for m in MIXES}

# The environment variable that tells the locustfile where the run's plan (a JSON file) is.
PLAN_ENV = "HUMANGOV_BENCH_PLAN"
# ... and where it writes its final stats: <prefix>_stats.csv and <prefix>_failures.csv.
CSV_PREFIX_ENV = "HUMANGOV_BENCH_CSV"
# The API refuses a request that changes data without it (containers/app/humangov/api.py).
GUARD_HEADER = {"X-HumanGov-Request": "1"}


def bench_pdf(tag: str) -> bytes:
    """A small valid-looking PDF (the app checks the magic bytes and the name), marked with the run."""
    return f"%PDF-1.4\n% humangov bench {tag}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".encode()


def record_fields(tag: str, n: int) -> dict[str, str]:
    """A bench record's fields: the last name carries the run's tag, so cleanup can find every one."""
    return {"first_name": f"Load{n}", "last_name": f"Bench {tag}", "role": "Benchmark", "salary": "50000"}
