"""scripts/mutants.py (`tox -e mutants`): what it mutates, with which tests, and how it scores."""

from __future__ import annotations

import configparser
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ci_helpers import ROOT


def _load() -> ModuleType:
    path = ROOT / "scripts" / "mutants.py"
    spec = importlib.util.spec_from_file_location("_humangov_mutants_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


mutants = _load()
MODULES = {
    "aws_wait": "humangov_deploy/platforms/aws/wait.py",
    "aws_status": "humangov_deploy/platforms/aws/status.py",
    "aws_teardown": "humangov_deploy/platforms/aws/teardown.py",
    "local_tasks": "humangov_deploy/platforms/local/tasks.py",
    "verify": "humangov_deploy/verify.py",
    "service": "containers/app/humangov/service.py",
    "dynamo_storage": "containers/app/humangov/dynamo_storage.py",
}


def test_the_seven_modules_of_the_issue_each_with_its_own_tests() -> None:
    assert {t.name: str(t.path) for t in mutants.TARGETS} == MODULES
    for target in mutants.TARGETS:
        assert (ROOT / target.path).is_file(), target.path
        found = [p for pattern in target.tests for p in ROOT.glob(pattern)]
        assert found, f"{target.name}: no test file matches {target.tests}"
        assert all(p.name.startswith("test_") and p.is_relative_to(ROOT / "suites" / "unit") for p in found)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1, "killed"),
        (3, "killed"),
        (36, "timeout"),
        (-24, "timeout"),
        (0, "survived"),
        (33, "no tests"),
        (5, "no tests"),
        (34, "skipped"),
        (None, "not checked"),
        (99, "suspicious"),
        (-11, "suspicious"),
    ],
)
def test_mutmut_exit_codes(code: int | None, status: str) -> None:
    assert mutants.status_of(code) == status


def _score(**statuses: str) -> object:
    target = mutants.TARGETS[0]
    return mutants.Score(target, {f"m.x_f__mutmut_{k}": v for k, v in statuses.items()})


def test_a_timeout_counts_as_killed_anything_else_as_a_survivor() -> None:
    score = _score(**{"1": "killed", "2": "timeout", "3": "survived", "4": "no tests", "5": "suspicious"})
    assert (score.killed, score.total) == (2, 5)
    assert score.percent == pytest.approx(40.0)
    assert score.survivors == ["m.x_f__mutmut_3", "m.x_f__mutmut_4", "m.x_f__mutmut_5"]
    assert mutants.Score(mutants.TARGETS[0]).percent == 0.0


def test_equivalent_mutants_are_read_from_list_items_in_backticks() -> None:
    text = """# Equivalent mutants
- `humangov_deploy.verify.x__tasks_check__mutmut_21`: min(n, 3) is min(n, 2) for n <= 2
* `humangov.service.xǁNotFoundErrorǁ__init____mutmut_1`: why
Not a list item: `humangov.service.x_now__mutmut_2`
- `not_a_mutant_name`: ignored
"""
    assert mutants.equivalent_names(text) == {
        "humangov_deploy.verify.x__tasks_check__mutmut_21",
        "humangov.service.xǁNotFoundErrorǁ__init____mutmut_1",
    }


def test_the_table_shows_each_module_its_survivors_and_the_total() -> None:
    ok = _score(**{"1": "killed", "2": "killed", "3": "survived", "4": "timeout"})
    broken = mutants.Score(mutants.TARGETS[1], error="mutmut exited 1; see x.log")

    lines = mutants.scores_table([ok, broken], {"m.x_f__mutmut_3"})

    assert lines[1].split() == ["humangov_deploy/platforms/aws/wait.py", "3/4", "75.0%", "1", "(1)"]
    assert lines[2].split()[:3] == ["humangov_deploy/platforms/aws/status.py", "-", "-"]
    assert lines[2].endswith("mutmut exited 1; see x.log")
    assert lines[3].split() == ["all", "3/4", "75.0%"]


def _tree(root: Path) -> None:
    for path in (
        "humangov_deploy/__init__.py",
        "humangov_deploy/verify.py",
        "containers/app/humangov/__init__.py",
        "containers/app/humangov/service.py",
        "containers/app/humangov/schema.py",
        "containers/app/humangov/states.py",
        "containers/app/gunicorn.conf.py",
        "suites/unit/app/test_app_api.py",
        "suites/unit/app/test_service_mutants.py",
        "suites/unit/test_verify.py",
        "conftest.py",
        "pyproject.toml",
        ".git/HEAD",
        ".venv/bin/python",
        "mutants/old.py",
    ):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(f"# {path}\n", encoding="utf-8")


def _cfg(copy: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(copy / "setup.cfg", encoding="utf-8")
    return parser["mutmut"]


def _lines(value: str) -> list[str]:
    return [line for line in value.splitlines() if line]


def test_a_library_module_is_mutated_in_a_copy_with_its_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path / "src")
    monkeypatch.setattr(mutants, "ROOT", tmp_path / "src")
    target = next(t for t in mutants.TARGETS if t.name == "verify")

    copy = mutants.prepare(target, tmp_path / "work")

    assert copy == tmp_path / "work" / "verify"
    assert not (copy / ".git").exists() and not (copy / ".venv").exists() and not (copy / "mutants").exists()
    cfg = _cfg(copy)
    assert _lines(cfg["source_paths"]) == ["humangov_deploy"]
    assert _lines(cfg["only_mutate"]) == ["humangov_deploy/verify.py"]
    assert _lines(cfg["pytest_add_cli_args_test_selection"]) == ["suites/unit/test_verify.py"]
    assert _lines(cfg["also_copy"]) == ["conftest.py", "containers", "pyproject.toml", "suites"]
    assert _lines(cfg["pytest_add_cli_args"]) == ["-m", "unit", "-p", "no:cacheprovider"]
    assert (tmp_path / "src" / "humangov_deploy" / "verify.py").read_text() == "# humangov_deploy/verify.py\n"


def test_an_app_module_moves_to_src_so_mutmut_names_it_as_the_app_imports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path / "src")
    monkeypatch.setattr(mutants, "ROOT", tmp_path / "src")
    target = next(t for t in mutants.TARGETS if t.name == "service")

    copy = mutants.prepare(target, tmp_path / "work")

    # `humangov` is a package only under src/; what appsrc reads by path stays, as a bare folder.
    assert sorted(p.name for p in (copy / "src" / "humangov").iterdir()) == [
        "__init__.py",
        "schema.py",
        "service.py",
        "states.py",
    ]
    assert sorted(p.name for p in (copy / "containers" / "app" / "humangov").iterdir()) == [
        "schema.py",
        "states.py",
    ]
    assert (copy / "containers" / "app" / "gunicorn.conf.py").exists()
    cfg = _cfg(copy)
    assert _lines(cfg["source_paths"]) == ["src/humangov"]
    assert _lines(cfg["only_mutate"]) == ["src/humangov/service.py"]
    assert _lines(cfg["pytest_add_cli_args_test_selection"]) == [
        "suites/unit/app/test_app_api.py",
        "suites/unit/app/test_service_mutants.py",
    ]
    assert "src" not in _lines(cfg["also_copy"]) and "humangov_deploy" in _lines(cfg["also_copy"])
    # The checkout itself is untouched.
    assert (tmp_path / "src" / "containers" / "app" / "humangov" / "service.py").exists()


def test_a_module_without_tests_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path / "src")
    monkeypatch.setattr(mutants, "ROOT", tmp_path / "src")
    target = next(t for t in mutants.TARGETS if t.name == "aws_wait")

    with pytest.raises(
        RuntimeError, match=r"no test file matches \('suites/unit/platforms/aws/test_aws_wait\*\.py',\)"
    ):
        mutants.prepare(target, tmp_path / "work")


def test_tox_env_pins_mutmut_and_fails_under_90_percent() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    env = tox["testenv:mutants"]
    assert _lines(env["deps"]) == ["mutmut==3.8.1"]
    assert env["commands"] == "python scripts/mutants.py {posargs:--fail-under 90}"


def test_listed_equivalent_mutants_are_recorded_as_survivors_without_being_run(tmp_path: Path) -> None:
    target = next(t for t in mutants.TARGETS if t.name == "service")
    meta = tmp_path / "mutants" / "src" / "humangov" / "service.py.meta"
    meta.parent.mkdir(parents=True)
    names = {"humangov.service.x_now__mutmut_1": None, "humangov.service.x_now__mutmut_2": None}
    meta.write_text(json.dumps({"exit_code_by_key": names, "durations_by_key": {}}), encoding="utf-8")

    marked = mutants.mark_equivalents(
        tmp_path, target, {"humangov.service.x_now__mutmut_2", "other__mutmut_1"}
    )

    assert marked == 1
    data = json.loads(meta.read_text(encoding="utf-8"))
    assert data["exit_code_by_key"] == {
        "humangov.service.x_now__mutmut_1": None,
        "humangov.service.x_now__mutmut_2": 0,
    }
    assert data["durations_by_key"] == {}
    assert mutants.read_statuses(tmp_path, target) == {
        "humangov.service.x_now__mutmut_1": "not checked",
        "humangov.service.x_now__mutmut_2": "survived",
    }
