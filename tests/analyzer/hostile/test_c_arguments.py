"""The C entry points check their arguments before any arithmetic on them. Each case runs in a child process with
a time limit: before these checks a width of 2**61 divided by zero (8 * width wrapped to 0), a limit <= -2 or
>= 2**62 doubled a table size forever (a width of 2**61 killed the process with SIGFPE; the limits hung it)."""

from __future__ import annotations

import pytest

from tests.analyzer.hostile import child

_SETUP = """
import numpy as np
from modelmonitor.analyzer.native import _csvfast
def outcome(call):
    try:
        result = call()
    except (ValueError, OverflowError) as exc:
        print(f"{type(exc).__name__}: {exc}")
    else:
        print(f"returned {result!r}")
"""


def _run(call: str, timeout: float = 20) -> str:
    done = child.run(_SETUP + f"outcome(lambda: {call})", timeout=timeout)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-500:]}"
    return done.stdout.split("\n")[0]


@pytest.mark.parametrize("width", [2**61, 2**62, -1, 0])
def test_parse_block_refuses_a_width_out_of_range(width: int) -> None:
    assert _run(f"_csvfast.parse_block(b'1\\n', {width}, np.empty(8), False, 10, 1 << 20)").startswith(
        "ValueError: width must be in [1, ")


@pytest.mark.parametrize("limit", [-2, -(2**40), 2**62, 2**63 - 1])
def test_parse_block_refuses_a_text_limit_out_of_range(limit: int) -> None:
    assert _run(f"_csvfast.parse_block(b'a\\n', 1, np.empty(2), False, {limit}, 1 << 20)").startswith(
        "ValueError: text_limit must be in [0, ")


def test_parse_block_refuses_a_negative_text_budget() -> None:
    assert _run("_csvfast.parse_block(b'a\\n', 1, np.empty(2), False, 10, -1)") == (
        "ValueError: text_budget must be >= 0, not -1")


def test_parse_block_refuses_numbers_beyond_ssize_t() -> None:
    assert _run("_csvfast.parse_block(b'a\\n', 2**63, np.empty(2), False, 10, 0)").startswith("OverflowError")


@pytest.mark.parametrize("limit", [-2, -(2**40)])
def test_more_distinct_than_refuses_a_negative_limit(limit: int) -> None:
    assert _run(f"_csvfast.more_distinct_than(np.arange(5.0), {limit})") == (
        f"ValueError: limit must be >= 0, not {limit}")


@pytest.mark.parametrize("limit", [2**62, 2**63 - 1])
def test_more_distinct_than_a_huge_limit_answers_at_once(limit: int) -> None:
    assert _run(f"_csvfast.more_distinct_than(np.arange(5.0), {limit})") == "returned False"

