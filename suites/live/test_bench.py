"""`humangov bench` against a provisioned state: a short run, as a user runs it, through the CLI.

Every mix served requests on both targets without an error, bench.json and the PNG are written, and
the run leaves nothing behind: the state's table and bucket hold what they held before, and no object
of the baseline stack remains.
"""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest
from livekit import LiveStack

from humangov_deploy.bench.baseline import baseline_state
from humangov_deploy.bench.mixes import MIX_NAMES
from humangov_deploy.cli import main
from humangov_deploy.platforms.local import spec

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def data_counts(stack: LiveStack) -> tuple[int, int]:
    """Items in the state's table and objects in its bucket."""
    clients = stack.platform.data_clients(stack.state)
    assert stack.status.table and stack.status.bucket
    items = clients.dynamodb.scan(TableName=stack.status.table, Select="COUNT")["Count"]
    objects = clients.s3.list_objects_v2(Bucket=stack.status.bucket).get("KeyCount", 0)
    return int(items), int(objects)


@pytest.mark.humangov_platforms("local", reason="humangov bench's baseline is a local Docker stack")
def test_a_short_bench_measures_every_mix_on_both_targets_and_leaves_nothing(
    stack: LiveStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = data_counts(stack)
    out = tmp_path / "bench"
    # 6 s per target: enough for every mix (the rarest has weight 10 of 100) even on a busy 2-core machine,
    # where 3 s once gave only 6 requests in all.
    argv = ["bench", "--state", stack.state, "--duration", "6", "--concurrency", "4", "--out", str(out)]
    code = main(argv)
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err

    report = json.loads((out / "bench.json").read_text())
    for target in ("ours", "baseline"):
        run = report[target]
        assert run["total"]["failures"] == 0 and run["errors"] == [], run["errors"]
        for mix in MIX_NAMES:
            assert run["mixes"][mix]["requests"] > 0, f"{target} sent no {mix} request"
            assert run["mixes"][mix]["p50"] > 0
    assert report["ratio_ours_to_baseline"]["total"]["throughput"] > 0
    assert (out / "bench.png").read_bytes().startswith(PNG_MAGIC)
    assert "ours/baseline, all mixes:" in printed.out

    assert data_counts(stack) == before, "bench records (or their PDFs) were left behind"
    client = docker.from_env()
    left = {"label": [f"{spec.LABEL_STATE}={baseline_state(stack.state)}"]}
    assert client.containers.list(all=True, filters=left) == []
    assert client.networks.list(filters=left) == []
