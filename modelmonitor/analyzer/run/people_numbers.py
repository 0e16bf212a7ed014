"""Numbers shown to people (the console's verdict, the HTML report) rounded alike. Its own module: every
`modelmonitor analyze` prints through it, and the report's texts (`report_legend`) need not load for that."""

from __future__ import annotations

import re

PEOPLE_DIGITS = 4
"""Significant digits of a number shown to people (console, report): a distance of 0.1234 against a threshold of
0.1 says all a reader acts on; 16 digits only hide the comparison. The files keep full precision."""

_LONG_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d{5,}(?:[eE][-+]?\d+)?(?![\w.])")


def round_for_people(text: str) -> str:
    """`text` with every decimal number of more than 4 decimals shown with 4 significant digits."""
    return _LONG_NUMBER.sub(lambda m: f"{float(m.group()):.{PEOPLE_DIGITS}g}", text)
