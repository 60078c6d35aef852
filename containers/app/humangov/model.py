"""An employee record and the rules its input must follow (shared by the pages and the JSON API)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from werkzeug.utils import secure_filename

FIELDS = ("first_name", "last_name", "role", "salary")
MAX_TEXT_LENGTH = 100
MAX_SALARY = Decimal("1000000000")
MAX_FILE_NAME_LENGTH = 100
PDF_MAGIC = b"%PDF-"
# Ids come from uuid4().hex; anything that cannot be an id is a 404 without a storage call.
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# The one salary format: ASCII digits, optionally grouped by three with commas, then optionally a
# point and one or two decimals. "1,5" is refused rather than read as 15 (or as 1.5).
_SALARY = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]{1,2})?")
SALARY_FORMAT = (
    "written as digits, optionally with commas between groups of three, and at most 2 decimals "
    "after a point, such as 52000, 52,000 or 52,000.50"
)
_LABELS = {"first_name": "First name", "last_name": "Last name", "role": "Role", "salary": "Salary"}


class ValidationError(Exception):
    """Bad input: `errors` maps a field name to a message a person can act on."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = dict(errors)


class TooLargeError(Exception):
    """The uploaded file is over MAX_UPLOAD_MB (HTTP 413)."""


@dataclass(frozen=True)
class Record:
    id: str
    first_name: str
    last_name: str
    role: str
    salary: Decimal
    document: str
    document_name: str
    created_at: str
    updated_at: str
    # Optimistic concurrency: 1 for a new record, +1 on every write; 0 for a record stored before
    # versions existed (its item has no `version` attribute).
    version: int = 0

    def to_json(self) -> dict[str, Any]:
        """The API's record: exactly the fields the HTTP contract names."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "role": self.role,
            "salary": salary_number(self.salary),
            "document": self.document,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
        }


@dataclass(frozen=True)
class Upload:
    """A PDF that passed the checks, ready to store."""

    body: bytes
    file_name: str


def salary_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def format_salary(value: Decimal) -> str:
    return f"{value:,.2f}"


def validate_fields(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean the record fields in `data`; `partial` (PATCH) checks only the fields present."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name in FIELDS:
        if partial and name not in data:
            continue
        raw = data.get(name)
        try:
            cleaned[name] = _salary(raw) if name == "salary" else _text(raw)
        except ValueError as exc:
            errors[name] = f"{_LABELS[name]}: {exc}"
    if errors:
        raise ValidationError(errors)
    return cleaned


def validate_pdf(file_name: str | None, body: bytes, max_bytes: int) -> Upload:
    """Accept only a real PDF: judged by its first bytes, and by its name."""
    if len(body) > max_bytes:
        raise TooLargeError(f"a PDF may be at most {max_bytes // (1024 * 1024)} MB")
    if not body:
        raise ValidationError({"pdf": "PDF: the file is empty"})
    if not body.startswith(PDF_MAGIC):
        raise ValidationError({"pdf": "PDF: the file is not a PDF document"})
    if not (file_name or "").strip().lower().endswith(".pdf"):
        raise ValidationError({"pdf": "PDF: the file name must end in .pdf"})
    return Upload(body=body, file_name=safe_file_name(file_name or ""))


def safe_file_name(name: str) -> str:
    """A display-only, header-safe ASCII version of an uploaded PDF's name; storage keys never use it."""
    ascii_name = unicodedata.normalize("NFKD", name.strip()).encode("ascii", "ignore").decode("ascii")
    has_extension = ascii_name.lower().endswith(".pdf")
    stem = secure_filename(ascii_name[:-4] if has_extension else ascii_name)
    # A name of only non-Latin letters has no ASCII left (e.g. a Japanese name): keep a generic one.
    stem = stem.strip("._-")[: MAX_FILE_NAME_LENGTH - 4] or "document"
    extension = ascii_name[-4:] if has_extension else ".pdf"
    return stem + extension


def _text(raw: Any) -> str:
    if raw is None:
        raise ValueError("required")
    if not isinstance(raw, str):
        raise ValueError("must be text")
    value = " ".join(raw.split())
    if not value:
        raise ValueError("required")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValueError(f"at most {MAX_TEXT_LENGTH} characters")
    # Control characters have no place in a name, and \x1f separates the parts of the sort key.
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("contains control characters")
    hidden = next((ch for i, ch in enumerate(value) if _hidden(value, i)), None)
    if hidden is not None:
        raise ValueError(
            f"contains a character that shows nothing or changes how the text reads (U+{ord(hidden):04X}): "
            "format, private-use, unassigned or invisible characters are not accepted"
        )
    # A lone surrogate (JSON's "\ud800") cannot be encoded as UTF-8, so DynamoDB could not store it;
    # U+FFFD is what the form parser puts in place of bytes that were not UTF-8 at all.
    if any(unicodedata.category(ch) == "Cs" or ch == "\ufffd" for ch in value):
        raise ValueError("is not valid Unicode text (invalid UTF-8 or a lone surrogate)")
    return value


# Letters and symbols that render as blank space without being spaces (Hangul fillers, braille blank).
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")


# Joiners that scripts need between two of their characters: an emoji sequence (👩🏽‍💻), Persian or Indic
# letters and marks. Anywhere else (at an end, beside a Latin letter or a space) they only hide.
_JOINERS = frozenset("\u200c\u200d")
_JOINED = frozenset({"So", "Sk", "Lo", "Mn", "Mc"})


def _hidden(text: str, i: int) -> bool:
    """Whether text[i] is a format (zero-width, bidi overrides, tags), private-use, unassigned (noncharacters
    too) or invisible character. Surrogates are refused after this with their own message."""
    ch = text[i]
    if ch in _JOINERS and 0 < i < len(text) - 1:
        return not {unicodedata.category(text[i - 1]), unicodedata.category(text[i + 1])} <= _JOINED
    return unicodedata.category(ch) in ("Cf", "Co", "Cn") or ch in _INVISIBLE


def _salary(raw: Any) -> Decimal:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("required")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValueError("must be a number")
    # JSON numbers are checked in their written form (json_body.WrittenNumber: `str` gives the text sent,
    # so 1e3 is refused like the text "1e3").
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if text.startswith("-") and _SALARY.fullmatch(text[1:]):
        raise ValueError("must not be negative")
    if not _SALARY.fullmatch(text):
        raise ValueError(f"must be a number {SALARY_FORMAT}")
    value = Decimal(text.replace(",", ""))
    if value > MAX_SALARY:
        raise ValueError(f"must be at most {MAX_SALARY:,}")
    return value.quantize(Decimal("0.01")) if value != value.to_integral_value() else Decimal(int(value))
