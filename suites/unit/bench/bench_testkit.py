"""Canned locust output (the files a real run wrote, trimmed) and a report built from it."""

from __future__ import annotations

from humangov_deploy.bench.results import BenchReport, RunResult, parse_failures, parse_stats

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
    "99.99%,100%"
)
# locust 2.47's <prefix>_stats.csv from a 3 s run against nevada (values as written, fractions trimmed).
OURS_STATS = f"""{HEADER}
POST,create,3,0,180,202.3,174.5,247.5,299.0,1.5,0.0,180,180,250,250,250,250,250,250,250,250,250
GET,list,11,0,150,183.6,89.6,381.5,20913.0,5.8,0.0,150,190,240,240,320,380,380,380,380,380,380
GET,pdf,15,0,120,149.2,47.4,407.3,1235.9,7.9,0.0,120,150,180,200,210,410,410,410,410,410,410
GET,read,9,0,120,140.8,67.7,348.7,2620.6,4.8,0.0,120,140,150,160,350,350,350,350,350,350,350
GET,search,8,0,150,135.2,51.4,171.9,21025.7,4.0,0.0,150,160,170,170,170,170,170,170,170,170,170
,Aggregated,46,0,150,156.8,47.4,407.3,9592.8,24.0,0.0,150,170,180,180,250,350,410,410,410,410,410
"""
# The baseline: slower, and two failed requests of the create mix.
BASELINE_STATS = f"""{HEADER}
POST,create,4,2,120,130.0,100.0,210.0,299.0,2.0,1.0,120,120,210,210,210,210,210,210,210,210,210
GET,list,10,0,120,200.0,60.0,690.0,20913.0,5.0,0.0,120,200,300,300,690,690,690,690,690,690,690
GET,pdf,7,0,42,80.0,30.0,330.0,1235.9,4.0,0.0,42,50,60,70,330,330,330,330,330,330,330
GET,read,13,0,66,150.0,40.0,930.0,2620.6,6.0,0.0,66,90,100,120,930,930,930,930,930,930,930
GET,search,6,0,500,450.0,300.0,700.0,21025.7,3.0,0.0,500,600,700,700,700,700,700,700,700,700,700
,Aggregated,40,2,87,190.0,30.0,930.0,9592.8,20.0,1.0,87,120,200,300,690,700,930,930,930,930,930
"""
FAILURES_HEADER = "Method,Name,Error,Occurrences"
BASELINE_FAILURES = f"""{FAILURES_HEADER}
POST,create,"HTTP 503, expected 201",2
"""
MACHINE = {"cores": 2, "memory_gib": 24.0, "docker": "20.10.24+dfsg1"}


def run_result(target: str, stats: str, failures: str = FAILURES_HEADER + "\n") -> RunResult:
    mixes, total = parse_stats(stats)
    return RunResult(
        target=target,
        url=f"http://127.0.0.1:1/{target}",
        config=f"{target} config",
        mixes=mixes,
        total=total,
        errors=parse_failures(failures),
    )


def report() -> BenchReport:
    return BenchReport(
        state="nevada",
        platform="local",
        duration=3.0,
        concurrency=4,
        machine=MACHINE,
        ours=run_result("ours", OURS_STATS),
        baseline=run_result("baseline", BASELINE_STATS, BASELINE_FAILURES),
    )
