"""Locust's CSV to per-mix figures, ratios and bench.json, on canned output of a real run."""

from __future__ import annotations

import json

import pytest
from bench_testkit import HEADER, OURS_STATS, report

from humangov_deploy.bench.mixes import MIX_NAMES
from humangov_deploy.bench.results import MixStats, ResultsError, parse_failures, parse_stats, ratio


def test_every_mix_gets_its_row_and_the_total_its_own() -> None:
    mixes, total = parse_stats(OURS_STATS)
    assert list(mixes) == list(MIX_NAMES)
    assert mixes["list"] == MixStats(requests=11, failures=0, rps=5.8, p50=150, p95=380, p99=380)
    assert mixes["create"] == MixStats(requests=3, failures=0, rps=1.5, p50=180, p95=250, p99=250)
    assert total == MixStats(requests=46, failures=0, rps=24.0, p50=150, p95=350, p99=410)


def test_a_mix_locust_never_sent_is_zero_not_missing() -> None:
    without_pdf = "\n".join(line for line in OURS_STATS.splitlines() if ",pdf," not in line)
    mixes, _ = parse_stats(without_pdf)
    assert mixes["pdf"] == MixStats(requests=0, failures=0, rps=0.0, p50=0.0, p95=0.0, p99=0.0)


def test_na_percentiles_of_a_mix_with_no_request_read_as_zero() -> None:
    row = "GET,pdf,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A"
    total = ",Aggregated,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A"
    mixes, _ = parse_stats(f"{HEADER}\n{row}\n{total}\n")
    assert mixes["pdf"].p99 == 0.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header"),
        (OURS_STATS.replace(",Aggregated,", ",Total,"), "'Total' that is no mix"),
        ("\n".join(OURS_STATS.splitlines()[:-1]), "no Aggregated row"),
        (OURS_STATS.replace("GET,list,11,", "GET,list,eleven,"), "'eleven' is not a number"),
    ],
)
def test_output_this_parser_does_not_know_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ResultsError, match=message):
        parse_stats(text)


def test_failures_are_counted_per_mix_and_message() -> None:
    text = 'Method,Name,Error,Occurrences\nPOST,create,"HTTP 503, expected 201",2\nGET,read,HTTP 404,1\n'
    errors = parse_failures(text)
    assert [(e.mix, e.error, e.occurrences) for e in errors] == [
        ("create", "HTTP 503, expected 201", 2),
        ("read", "HTTP 404", 1),
    ]


def test_ratio_is_ours_over_baseline_and_none_without_a_baseline() -> None:
    assert ratio(30.0, 20.0) == 1.5
    assert ratio(1.0, 3.0) == 0.333
    assert ratio(5.0, 0.0) is None


def test_report_ratios_per_mix_and_in_total() -> None:
    ratios = report().ratios()
    assert set(ratios) == {*MIX_NAMES, "total"}
    # list: ours 5.8 req/s vs 5.0; p50 150 vs 120; p95 380 vs 690.
    assert ratios["list"] == {"throughput": 1.16, "p50": 1.25, "p95": 0.551, "p99": 0.551}
    # Successful responses only: ours 24.0/s, the baseline 20.0/s of which 2 in 40 failed (19.0/s).
    assert ratios["total"]["throughput"] == 1.263
    assert ratios["create"]["throughput"] == 1.5  # 1.5/s against 2.0/s with half of them failed


def test_bench_json_holds_both_targets_every_mix_the_ratios_and_the_machine() -> None:
    data = json.loads(json.dumps(report().to_json()))
    assert data["state"] == "nevada"
    assert data["duration_seconds"] == 3.0
    assert data["concurrency"] == 4
    assert data["machine"]["cores"] == 2
    assert data["mixes"] == list(MIX_NAMES)
    for target in ("ours", "baseline"):
        assert set(data[target]["mixes"]) == set(MIX_NAMES)
        assert data[target]["config"] == f"{target} config"
    assert data["ours"]["mixes"]["search"]["p95"] == 170
    assert data["baseline"]["mixes"]["search"]["p95"] == 700
    assert data["baseline"]["total"]["failures"] == 2
    assert data["baseline"]["total"]["ok_rps"] == 19.0
    assert data["baseline"]["mixes"]["create"]["ok_rps"] == 1.0
    assert data["baseline"]["errors"] == [
        {"mix": "create", "error": "HTTP 503, expected 201", "occurrences": 2}
    ]
    assert data["ratio_ours_to_baseline"]["search"]["p95"] == 0.243


def test_errors_add_up_both_targets() -> None:
    assert report().errors == 2


def test_summary_has_a_line_per_mix_and_target_then_the_ratios() -> None:
    lines = report().lines()
    assert len(lines) == 1 + 2 * (len(MIX_NAMES) + 1) + 1
    assert lines[1].split() == ["list", "ours", "11", "0", "5.8", "5.8", "150", "380", "380"]
    assert lines[10].split() == ["create", "baseline", "4", "2", "2.0", "1.0", "120", "210", "210"]
    assert lines[-1] == "ours/baseline, all mixes: throughput 1.26x, p50 1.72x, p95 0.50x, p99 0.44x"
