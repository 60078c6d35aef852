"""The bench's PNG: latency percentiles and throughput per mix, ours next to the baseline.

`series` turns a report into the numbers drawn (what the unit tests check); `figure` draws them with
matplotlib's object API (no pyplot: no global figure state, no display needed), `write_plot` saves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from humangov_deploy.bench.mixes import MIX_NAMES
from humangov_deploy.bench.results import PERCENTILES, BenchReport

# One panel per percentile, then throughput: (key, title, y label).
PANELS: tuple[tuple[str, str, str], ...] = (
    *((p, f"latency {p}", "ms") for p in PERCENTILES),
    ("throughput", "throughput (successful responses)", "requests/s"),
)
COLORS = {"ours": "#1f77b4", "baseline": "#ff7f0e"}


@dataclass(frozen=True)
class PlotSeries:
    """Per panel, per target, one value per mix (in `mixes` order)."""

    mixes: tuple[str, ...]
    labels: dict[str, str]  # target -> legend label
    panels: dict[str, dict[str, list[float]]]
    title: str


def series(report: BenchReport) -> PlotSeries:
    panels: dict[str, dict[str, list[float]]] = {}
    for key, _title, _unit in PANELS:
        attr = "ok_rps" if key == "throughput" else key
        panels[key] = {
            run.target: [float(getattr(run.mixes[m], attr)) for m in MIX_NAMES]
            for run in (report.ours, report.baseline)
        }
    labels = {run.target: f"{run.target}: {run.config}" for run in (report.ours, report.baseline)}
    title = (
        f"humangov bench: {report.state} ({report.platform}), {report.duration:g} s per target, "
        f"concurrency {report.concurrency}"
    )
    return PlotSeries(mixes=MIX_NAMES, labels=labels, panels=panels, title=title)


def figure(data: PlotSeries) -> Any:
    """A matplotlib Figure: a 2x2 grid of grouped bars (mix on x, ours and baseline side by side)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 8), layout="constrained")
    axes = fig.subplots(2, 2)
    positions = list(range(len(data.mixes)))
    width = 0.38
    for ax, (key, title, unit) in zip(axes.flat, PANELS, strict=True):
        for offset, (target, values) in zip((-width / 2, width / 2), data.panels[key].items(), strict=True):
            ax.bar(
                [x + offset for x in positions],
                values,
                width,
                label=data.labels[target],
                color=COLORS.get(target),
                gid=f"{key}:{target}",
            )
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.set_xticks(positions, list(data.mixes))
    axes.flat[0].legend(loc="upper left", fontsize="small")
    fig.suptitle(data.title)
    return fig


def write_plot(report: BenchReport, path: Path) -> PlotSeries:
    """Draw the report into `path` (PNG); returns what was drawn."""
    data = series(report)
    figure(data).savefig(path, format="png", dpi=100)
    return data
