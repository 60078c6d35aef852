"""A small evaluator of IAM identity policies, for tests: moto enforces no IAM policy at all (DESIGN.md).

It follows IAM's evaluation logic for one identity-based policy
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit
Deny wins, else any Allow allows, else the request is implicitly denied. Actions match case-insensitively
and resources case-sensitively, both with `*` and `?` wildcards (which match across `:` and `/`).
Conditions: the String/Arn operators the project's policies use, values of one key ORed, keys and
operators ANDed; a key missing from the request fails a positive operator and satisfies a negated one
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

Decision = Literal["allow", "explicit-deny", "implicit-deny"]

POSITIVE = {"StringEquals": False, "StringLike": True, "ArnEquals": False, "ArnLike": True}
NEGATED = {"StringNotEquals": False, "StringNotLike": True, "ArnNotEquals": False, "ArnNotLike": True}


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


def _listify(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def _matches(value: str, patterns: list[str], *, ignore_case: bool = False, wildcards: bool = True) -> bool:
    if not wildcards:
        return value in patterns
    return any(_pattern(p, ignore_case).match(value) for p in patterns)


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, keys in condition.items():
        for key, values in keys.items():
            present = key in context
            if operator in POSITIVE:
                if not (present and _matches(context[key], _listify(values), wildcards=POSITIVE[operator])):
                    return False
            elif operator in NEGATED:
                if present and _matches(context[key], _listify(values), wildcards=NEGATED[operator]):
                    return False
            else:
                raise NotImplementedError(f"condition operator {operator} (extend iam_eval)")
    return True


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    for unsupported in ("NotAction", "NotResource", "NotPrincipal"):
        if unsupported in statement:
            raise NotImplementedError(f"{unsupported} (extend iam_eval)")
    return (
        _matches(request.action, _listify(statement["Action"]), ignore_case=True)
        and _matches(request.resource, _listify(statement["Resource"]))
        and _condition_holds(statement.get("Condition", {}), request.context)
    )


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value = policy["Statement"]
    return [value] if isinstance(value, Mapping) else list(value)


def evaluate(policy: Mapping[str, Any], request: Request) -> Decision:
    applying = [st for st in _statements(policy) if _applies(st, request)]
    if any(st["Effect"] == "Deny" for st in applying):
        return "explicit-deny"
    if any(st["Effect"] == "Allow" for st in applying):
        return "allow"
    return "implicit-deny"


def granted(policy: Mapping[str, Any]) -> list[Request]:
    """Every (action, resource) pair an Allow statement of `policy` names, as requests without context."""
    for st in _statements(policy):
        if "Condition" in st:
            raise NotImplementedError("a conditioned grant needs its context (extend iam_eval)")
    return [
        Request(action, resource)
        for st in _statements(policy)
        if st["Effect"] == "Allow"
        for action in _listify(st["Action"])
        for resource in _listify(st["Resource"])
    ]
