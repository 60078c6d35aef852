"""Rollout records on the local platform: labels of small Docker volumes, readable by every engine client.

Docker labels cannot change once an object exists, so each save creates a new volume carrying the whole
record (and a sequence number) and then removes the run's older ones. The volumes carry no
`humangov.state` or `humangov.managed-by` label: a state's `destroy` and `sweep` leave them alone, as a
record outlives the stacks it rolled out to.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from humangov_deploy.platforms.local import engine as dock

LABEL_RUN = "humangov.rollout"
LABEL_SEQ = "humangov.rollout.seq"
LABEL_RECORD = "humangov.rollout.record"
PREFIX = "humangov-rollout"


class DockerRecordStore:
    """A RecordStore (platforms.base) on a Docker engine."""

    _counter = itertools.count()

    def __init__(self, docker: Any) -> None:
        self.docker = docker

    def _volumes(self, run_id: str | None = None) -> list[Any]:
        label = f"{LABEL_RUN}={run_id}" if run_id else LABEL_RUN
        return list(self.docker.volumes.list(filters={"label": [label]}))

    @staticmethod
    def _seq(volume: Any) -> int:
        return int(dock.labels_of(volume).get(LABEL_SEQ) or 0)

    def put(self, run_id: str, text: str) -> None:
        # Nanoseconds plus a process-wide counter: increasing within a runner, unique across saves.
        seq = time.time_ns() * 1000 + next(self._counter) % 1000
        older = self._volumes(run_id)
        self.docker.volumes.create(
            name=f"{PREFIX}-{run_id}-{seq}",
            labels={LABEL_RUN: run_id, LABEL_SEQ: str(seq), LABEL_RECORD: text},
        )
        for volume in older:
            dock.remove_volume(volume)

    def get(self, run_id: str) -> str | None:
        found = self._volumes(run_id)
        if not found:
            return None
        return dock.labels_of(max(found, key=self._seq)).get(LABEL_RECORD)

    def all(self) -> dict[str, str]:
        newest: dict[str, Any] = {}
        for volume in self._volumes():
            run_id = dock.labels_of(volume).get(LABEL_RUN, "")
            if run_id and (run_id not in newest or self._seq(volume) > self._seq(newest[run_id])):
                newest[run_id] = volume
        return {run_id: dock.labels_of(v).get(LABEL_RECORD, "") for run_id, v in newest.items()}
