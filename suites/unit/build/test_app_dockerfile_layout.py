"""The app Dockerfile keeps a code-only rebuild short (issue 15: at most 10 s; scripts/bench_rebuild.py).

The legacy builder (the Docker SDK's) runs a container for every step it cannot take from the cache, about
2 s each here. So after the code enters the final stage, only the one LABEL step may follow; the compile runs
in a stage that holds nothing else; and the build arguments that change with every revision are declared
where no RUN sees them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from humangov_deploy.appsrc import APP_DIR


@dataclass(frozen=True)
class Step:
    stage: int
    keyword: str
    args: str


def steps(text: str) -> list[Step]:
    """Instructions with continuation lines joined, numbered by stage (0 = before the first FROM)."""
    joined = text.replace("\\\n", " ")
    result: list[Step] = []
    stage = 0
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        result.append(Step(stage, keyword, " ".join(args.split())))
    return result


APP_STEPS = steps((APP_DIR / "Dockerfile").read_text())
FINAL = max(s.stage for s in APP_STEPS)


def final_stage() -> list[Step]:
    return [s for s in APP_STEPS if s.stage == FINAL]


def code_copy_index(final: list[Step]) -> int:
    (index,) = [i for i, s in enumerate(final) if s.keyword == "COPY" and s.args.endswith("/app/humangov")]
    return index


def test_only_the_label_follows_the_code_in_the_final_stage() -> None:
    final = final_stage()
    after = [s.keyword for s in final[code_copy_index(final) + 1 :]]
    assert after == ["LABEL"]


@pytest.mark.parametrize("keyword", ["USER", "EXPOSE", "HEALTHCHECK", "STOPSIGNAL", "CMD", "ENV", "WORKDIR"])
def test_metadata_comes_before_the_code(keyword: str) -> None:
    final = final_stage()
    positions = [i for i, s in enumerate(final) if s.keyword == keyword]
    assert positions and max(positions) < code_copy_index(final)


def test_the_code_is_compiled_in_a_stage_of_its_own_and_copied_from_it() -> None:
    final = final_stage()
    source = final[code_copy_index(final)].args
    assert source.startswith("--from=") and "--chown" not in source  # root-owned: read-only to the app
    stage_name = source.split()[0].removeprefix("--from=")
    (start,) = [s for s in APP_STEPS if s.keyword == "FROM" and s.args.endswith(f" AS {stage_name}")]
    code_stage = [s for s in APP_STEPS if s.stage == start.stage]
    runs = [s.args for s in code_stage if s.keyword == "RUN"]
    assert runs == [runs[0]] and "compileall" in runs[0] and "checked-hash" in runs[0]
    # Nothing but the code in that stage: the venv's stage stays the same image when the code changes.
    copies = [s.args for s in code_stage if s.keyword == "COPY"]
    assert copies == ["humangov ./humangov"]
    assert not [s for s in final if s.keyword == "RUN" and "compileall" in s.args]


def test_revision_arguments_reach_no_run() -> None:
    final = final_stage()
    declared = min(i for i, s in enumerate(final) if s.keyword == "ARG" and s.args.startswith("REVISION"))
    assert not [s for s in final[declared:] if s.keyword == "RUN"]
    label = next(s.args for s in final if s.keyword == "LABEL")
    assert "${REVISION}" in label and "${VERSION}" in label
