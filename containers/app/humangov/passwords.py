"""Password rules and hashing (scrypt), and the one-time passwords an admin hands out.

The standard library and one third-party package, zxcvbn (Dropbox's password strength estimator, ported
to Python: https://github.com/dwolfhub/zxcvbn-python), which refuses common passwords, words, keyboard
walks, repeats and sequences. The deploy library loads the accounts modules by path (accounts.py says
why), so it needs zxcvbn installed too; flask, boto3 and the rest are never imported here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

from zxcvbn import zxcvbn

from .account_errors import WeakPassword

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # hashing cost grows with the input: refuse novels
# zxcvbn's score, 0 to 4: 3 is "safely unguessable: moderate protection from an offline slow-hash
# scenario" (https://github.com/dropbox/zxcvbn#usage), which is what a stolen table of scrypt hashes is.
MIN_STRENGTH = 3
STRENGTH_CHARS = 100  # zxcvbn's time grows fast with length; past this many characters it judges the start

# scrypt (https://docs.python.org/3/library/hashlib.html#hashlib.scrypt): N=2**15, r=8, p=1 uses 32 MiB
# and took 0.2 s per hash on a loaded 2-core build machine (N=2**14: 0.1 s). The parameters are stored in
# each hash, so raising them later keeps old hashes verifiable.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAX_N = 2**20  # never run a stored hash with a larger cost than this
SALT_BYTES, KEY_BYTES = 16, 32


def check_password(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"password too short: at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"password too long: at most {MAX_PASSWORD_CHARS} characters")
    if not password.strip() or (username and password.strip().lower() == username.lower()):
        raise WeakPassword("password too weak: not blank, not the username")
    judged = zxcvbn(
        password[:STRENGTH_CHARS], user_inputs=[username, "humangov"] if username else ["humangov"]
    )
    if judged["score"] < MIN_STRENGTH:
        feedback = judged["feedback"]
        why = " ".join(filter(None, [feedback.get("warning"), *feedback.get("suggestions", [])]))
        raise WeakPassword(
            "password too weak: easy to guess (common passwords, words, names, repeats and sequences are)"
            + (f"; {why}" if why else "")
        )


def one_time_password() -> str:
    """20 URL-safe characters (120 random bits): given once by an admin, changed at first sign-in."""
    return secrets.token_urlsafe(15)


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """`scrypt$n=..,r=..,p=..$<salt>$<key>` with a random salt (base64)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p)
    return f"scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison of the derived key; a malformed stored hash never matches."""
    try:
        scheme, params, salt, key = stored.split("$")
        cost = dict(part.split("=", 1) for part in params.split(","))
        n, r, p = int(cost["n"]), int(cost["r"]), int(cost["p"])
        expected = base64.b64decode(key, validate=True)
        salt_bytes = base64.b64decode(salt, validate=True)
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt" or not (1 < n <= SCRYPT_MAX_N and 0 < r <= 32 and 0 < p <= 16):
        return False
    return hmac.compare_digest(_scrypt(password, salt_bytes, n, r, p, len(expected)), expected)


@cache
def dummy_hash() -> str:
    """A hash no password matches; verified for unknown users so they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(32))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int = KEY_BYTES) -> bytes:
    # scrypt needs 128 * n * r bytes; OpenSSL's default cap (32 MiB) is too tight for n=2**15.
    maxmem = 128 * n * r + 8 * 1024 * 1024
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
