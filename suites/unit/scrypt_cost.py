"""The cost of the app's password hashing in tests: scrypt's N lowered for the tests that are not about it.

At the production cost (N=2**15) one hash or one verification takes ~0.1 s of CPU, more on a loaded
machine, and the accounts and `humangov users` tests make a few hundred of them: most of their time. The
cost is a parameter of the scheme, stored in every hash and honoured by `verify_password`, so what these
tests check is the same at any cost. test_passwords.py keeps one test at the production parameters and one
that proves a hash's stored parameters are honoured whatever the defaults are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import pytest

from humangov_deploy.users import accounts

TEST_N = 2**4  # the smallest power of two scrypt takes above 2: microseconds per hash
PRODUCTION_N: int = accounts().SCRYPT_N  # read at import, before any test lowers it


@contextmanager
def scrypt_n(n: int, module: ModuleType | None = None) -> Iterator[None]:
    """New hashes of `module` (the library's copy of the app's accounts.py by default) made with scrypt N=n.

    `hash_password` takes its cost as keyword defaults bound when the module was loaded, so those are
    changed along with the constant. The dummy hash (verified for unknown users) is cached: it is made
    again at the cost in force, inside and after the block.
    """
    acc = module or accounts()
    defaults = acc.hash_password.__kwdefaults__
    assert defaults and "n" in defaults, "hash_password no longer takes n as a keyword default: update me"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(acc, "SCRYPT_N", n)
        patch.setattr(acc.hash_password, "__kwdefaults__", {**defaults, "n": n})
        acc.dummy_hash.cache_clear()
        try:
            yield
        finally:
            acc.dummy_hash.cache_clear()
