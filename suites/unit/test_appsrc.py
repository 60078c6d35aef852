from __future__ import annotations

import pytest

from humangov_deploy import appsrc
from humangov_deploy.errors import ConfigError


def test_fifty_distinct_states_all_safe_for_resource_names() -> None:
    states = appsrc.states()
    assert len(states) == len(set(states)) == 50
    for slug in states:
        assert slug == slug.lower() and slug.replace("-", "").isalpha(), slug


@pytest.mark.parametrize(
    ("given", "slug"),
    [
        ("california", "california"),
        ("New York", "new-york"),
        ("north_dakota", "north-dakota"),
        (" Texas ", "texas"),
    ],
)
def test_validate_state_normalises_common_spellings(given: str, slug: str) -> None:
    assert appsrc.validate_state(given) == slug


def test_an_unknown_state_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="did you mean texas"):
        appsrc.validate_state("texs")
    with pytest.raises(ConfigError, match="new-york"):
        appsrc.validate_state("atlantis")


def test_display_names() -> None:
    assert appsrc.display_name("california") == "California"
    assert appsrc.display_name("new-hampshire") == "New Hampshire"


def test_schema_is_the_apps_own_module() -> None:
    # The library must read the very file the app imports, not a copy.
    assert appsrc.schema().__file__ == str(appsrc.APP_DIR / "humangov" / "schema.py")
    assert appsrc.schema().table_name("texas") == "humangov-texas-dynamodb"
