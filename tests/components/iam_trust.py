"""A small evaluator of IAM trust-policy statements (test helper): does a trust policy let `principal` assume the
role in a request whose context carries these global condition keys?

Only what our trust policies use is modelled, with IAM's documented semantics ("IAM JSON policy elements:
Condition operators"): StringEquals / StringLike / ArnEquals / ArnLike, every key of a condition block must
match (AND), any value of a key's list may match (OR), a key missing from the request context never matches, and
`*`/`?` are wildcards in the -Like operators (ArnLike/ArnEquals compare the six ARN fields one by one; a
wildcard never crosses a field's ':'). An operator we do not model fails the test rather than being ignored.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _arn_like(pattern: str, arn: str) -> bool:
    pattern_fields, arn_fields = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_fields) != 6 or len(arn_fields) != 6:
        return False
    return all(fnmatch.fnmatchcase(a, p) for p, a in zip(pattern_fields, arn_fields, strict=True))


_OPERATORS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": lambda pattern, value: fnmatch.fnmatchcase(value, pattern),
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
}


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, block in condition.items():
        if operator not in _OPERATORS:
            raise AssertionError(f"condition operator {operator} is not modelled by this helper")
        test = _OPERATORS[operator]
        for key, patterns in block.items():
            if key not in context or not any(test(p, context[key]) for p in _values(patterns)):
                return False
    return True


def allows(policy: Mapping[str, Any], principal: str, context: Mapping[str, str]) -> bool:
    """True when some Allow statement lets service `principal` call sts:AssumeRole in this context."""
    for statement in policy["Statement"]:
        if statement.get("Effect") != "Allow" or "sts:AssumeRole" not in _values(statement.get("Action", [])):
            continue
        if principal not in _values(statement.get("Principal", {}).get("Service", [])):
            continue
        if _condition_holds(statement.get("Condition", {}), context):
            return True
    return False
