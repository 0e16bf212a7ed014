"""Shared by the peer runners (benchmark venv only: pandas, evidently, nannyml)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Set before the peer libraries are imported: both phone home otherwise.
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

import pandas as pd


def arguments(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--reference", required=True, help="reference CSV")
    parser.add_argument("--current", required=True, help="current/analysis CSV")
    parser.add_argument("--categorical", default="", help="comma-separated categorical columns")
    parser.add_argument("--chunk-column", default=None,
                        help="analyse each value of this column of the current CSV as its own window")
    parser.add_argument("--sample-current", type=int, default=None,
                        help="analyse only the first N current rows (time-boxing a slow peer)")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


@contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)


def load(args: argparse.Namespace, timings: dict[str, float]) -> tuple[pd.DataFrame, pd.DataFrame, list[str],
                                                                       list[str]]:
    """Read both CSVs; return them with the feature columns and the categorical ones."""
    categorical = [name for name in args.categorical.split(",") if name]
    dtypes = dict.fromkeys(categorical, "string")
    with timed(timings, "load_s"):
        reference = pd.read_csv(args.reference, dtype=dtypes)
        current = pd.read_csv(args.current, dtype=dtypes, nrows=args.sample_current)
    for frame in (reference, current):
        for column in categorical:
            frame[column] = frame[column].astype(object)
    features = [column for column in reference.columns if column != args.chunk_column]
    return reference, current, features, categorical


def windows(current: pd.DataFrame, chunk_column: str | None) -> Iterator[tuple[str, pd.DataFrame]]:
    if chunk_column is None:
        yield "all", current
        return
    for key, frame in current.groupby(chunk_column, sort=False):
        yield str(key), frame.drop(columns=[chunk_column])


def emit(result: dict[str, Any]) -> None:
    """The runner's result: one JSON line, last on stdout."""
    sys.stdout.write(json.dumps(result, default=str) + "\n")
