"""The PNG: the numbers given to matplotlib (not its pixels), and a real PNG file."""

from __future__ import annotations

from pathlib import Path

from bench_testkit import report

from humangov_deploy.bench.mixes import MIX_NAMES
from humangov_deploy.bench.plot import PANELS, figure, series, write_plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_series_has_each_percentile_and_throughput_per_mix_for_both_targets() -> None:
    data = series(report())
    assert data.mixes == MIX_NAMES
    assert list(data.panels) == ["p50", "p95", "p99", "throughput"]
    # In MIX_NAMES order: list, search, read, pdf, create.
    assert data.panels["p50"] == {"ours": [150, 150, 120, 120, 180], "baseline": [120, 500, 66, 42, 120]}
    assert data.panels["p99"]["baseline"] == [690, 700, 930, 330, 210]
    assert data.panels["throughput"] == {
        "ours": [5.8, 4.0, 4.8, 7.9, 1.5],
        "baseline": [5.0, 3.0, 6.0, 4.0, 1.0],  # create: 2.0/s, half of them failed
    }
    assert data.labels == {"ours": "ours: ours config", "baseline": "baseline: baseline config"}
    assert "nevada" in data.title and "concurrency 4" in data.title


def test_figure_draws_those_numbers_one_panel_each() -> None:
    data = series(report())
    fig = figure(data)
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == [title for _key, title, _unit in PANELS]
    for ax, (key, _title, _unit) in zip(axes, PANELS, strict=True):
        assert [t.get_text() for t in ax.get_xticklabels()] == list(MIX_NAMES)
        for target in ("ours", "baseline"):
            bars = [p for p in ax.patches if p.get_gid() == f"{key}:{target}"]
            assert [b.get_height() for b in bars] == data.panels[key][target]


def test_write_plot_writes_a_png(tmp_path: Path) -> None:
    path = tmp_path / "bench.png"
    drawn = write_plot(report(), path)
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert drawn == series(report())
