"""Passwords: scrypt, a random salt and the parameters in the hash, a constant-time compare, the policy."""

from __future__ import annotations

import hmac
from typing import Any

import pytest
from accounts_testkit import PASSWORD, acc
from scrypt_cost import PRODUCTION_N, TEST_N, scrypt_n


def test_a_hash_verifies_its_password_and_no_other() -> None:
    stored = acc.hash_password(PASSWORD)
    assert acc.verify_password(PASSWORD, stored)
    assert not acc.verify_password(PASSWORD + "x", stored)
    assert not acc.verify_password(PASSWORD.upper(), stored)


def test_the_hash_carries_scheme_parameters_and_a_random_salt() -> None:
    """The one test at the production cost (every other one runs at scrypt_cost.TEST_N)."""
    with scrypt_n(PRODUCTION_N):
        first, second = acc.hash_password(PASSWORD), acc.hash_password(PASSWORD)
        assert acc.verify_password(PASSWORD, first)
    scheme, params, salt, _key = first.split("$")
    assert (scheme, params) == ("scrypt", f"n={2**15},r=8,p=1")
    assert first != second and salt != second.split("$")[2]  # a new salt each time
    assert PASSWORD not in first


def test_stored_parameters_are_honoured_so_costs_can_change_later() -> None:
    # The defaults are TEST_N here: a hash made at another cost verifies only by the cost it carries.
    other = acc.hash_password(PASSWORD, n=2**10)
    assert other.split("$")[1] == "n=1024,r=8,p=1"
    assert acc.verify_password(PASSWORD, other)
    assert acc.hash_password(PASSWORD).split("$")[1] == f"n={TEST_N},r=8,p=1"  # the tests' own cost


@pytest.mark.parametrize(
    "stored",
    ["", "plain", "bcrypt$n=1024,r=8,p=1$AAAA$AAAA", "scrypt$n=1024$AAAA$AAAA", "scrypt$n=1024,r=8,p=1$!!$AA",
     f"scrypt$n={2**30},r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"],
)  # fmt: skip
def test_a_malformed_or_too_costly_hash_never_matches(stored: str) -> None:
    assert acc.verify_password(PASSWORD, stored) is False


def test_keys_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # the module passwords.py compares with
    stored = acc.hash_password(PASSWORD)
    assert not acc.verify_password("wrong password!", stored)
    assert len(seen) == 1 and len(seen[0][0]) == len(seen[0][1]) == acc.KEY_BYTES


@pytest.mark.parametrize("weak", ["short", "elevenchars", " " * 20, "delaware-admin", "x" * 1025])
def test_the_policy_refuses_weak_passwords(weak: str) -> None:
    with pytest.raises(acc.WeakPassword):
        acc.check_password(weak, "delaware-admin")


def test_the_policy_accepts_twelve_characters() -> None:
    acc.check_password("twelve-chars", "someone")


def test_one_time_passwords_are_random_and_pass_the_policy() -> None:
    made = {acc.one_time_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        acc.check_password(password)


@pytest.mark.parametrize("name", ["ab", "-alice", "alice smith", "a" * 65, "anonymous", "cli:root", "álvaro"])
def test_bad_usernames(name: str) -> None:
    with pytest.raises(acc.BadUsername):
        acc.check_username(name)


def test_usernames_are_canonical_lower_case() -> None:
    assert acc.check_username("  Alice.Smith_2 ") == "alice.smith_2"


def test_roles_are_ordered_viewer_editor_admin() -> None:
    assert acc.role_allows("admin", "editor") and acc.role_allows("editor", "viewer")
    assert acc.role_allows("viewer", "viewer")
    assert not acc.role_allows("viewer", "editor") and not acc.role_allows("editor", "admin")
    assert not acc.role_allows("root", "viewer")
    with pytest.raises(acc.BadRole):
        acc.check_role("root")


@pytest.mark.parametrize(
    "weak", ["aaaaaaaaaaaa", "123456789012", "password1234", "\0" * 12, "qwertyuiopas", "delaware-admin1"]
)
def test_common_and_guessable_passwords_are_refused(weak: str) -> None:
    """Issue 21, item 11: these were accepted (12 characters or more); zxcvbn judges them easy to guess."""
    with pytest.raises(acc.WeakPassword, match="easy to guess"):
        acc.check_password(weak, "delaware-admin")


@pytest.mark.parametrize("strong", ["correct horse battery", "unit test password 1234", "k8#Tq!v0Zr2@"])
def test_strong_passwords_pass(strong: str) -> None:
    acc.check_password(strong, "delaware-admin")
