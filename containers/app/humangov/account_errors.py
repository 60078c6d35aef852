"""The refusals of the accounts modules (users, passwords, tokens, sign-in): one tree under AccountError.

Standard library only (the deploy library loads the accounts modules by path: accounts.py says why).
"""

from __future__ import annotations


class AccountError(Exception):
    """Any refusal of the accounts modules; its message is safe to show (never a password or token)."""


class BadUsername(AccountError):
    pass


class BadRole(AccountError):
    pass


class WeakPassword(AccountError):
    pass


class UnknownUser(AccountError):
    pass


class UserExists(AccountError):
    pass


class UnknownToken(AccountError):
    pass


class LastAdmin(AccountError):
    """The change would leave the state without an admin (two admins demoting each other at once: one
    of them gets this)."""

    def __init__(self, username: str) -> None:
        super().__init__(
            f"{username} is the state's last admin: make another user admin first, then change {username}"
        )


class BadCredentials(AccountError):
    """Wrong password or unknown user: one class and one message for both, on purpose."""

    def __init__(self) -> None:
        super().__init__("wrong username or password")


class Throttled(AccountError):
    def __init__(self, retry_after: float, refused: int = 0) -> None:
        self.retry_after = max(0.0, retry_after)
        self.refused = refused  # attempts refused in this window so far, this one included (0: not counted)
        super().__init__(f"too many failed sign-ins; try again in {int(self.retry_after) + 1} seconds")


class Conflict(AccountError):
    """Other writers kept changing the same item; nothing was changed."""
