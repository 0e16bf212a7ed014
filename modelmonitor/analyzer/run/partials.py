"""The merge stage's input: partial statistics files written by shard runs, checked at the boundary so that a file
that is not one (hand-edited, truncated, from another analyzer version or k) stops the run with one line naming
the file, the column and the field — never a traceback that exits 1, which means "violations"."""

from __future__ import annotations

from typing import Any

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.stats.dataset_stats import PARTIAL_FORMAT, PARTIAL_VERSION, DatasetStats

_NUMBER = (int, float)
_COLUMN_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,), "missing": (int,), "integral": (int,), "fractional": (int,), "string": (int,),
    "count": (int,), "mean": _NUMBER, "m2": _NUMBER, "sum": _NUMBER, "kll": (dict,)}
"""What `ColumnStats.to_json` always writes, and the JSON types it writes them as."""


def _kind(value: Any) -> str:
    return "a boolean" if isinstance(value, bool) else f"{type(value).__name__} {value!r}"[:80]


def check_partial(raw: dict[str, Any], uri: str) -> None:
    """AnalyzerInputError naming what is wrong with a document of this analyzer's format and version whose shape
    is not partial statistics'."""
    for key in ("item_count", "malformed_records", "unpaired_records"):
        value = raw.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnalyzerInputError(f"partial statistics {uri}: {key} must be an integer, got {_kind(value)}")
    columns = raw.get("columns")
    if not isinstance(columns, list):
        raise AnalyzerInputError(f"partial statistics {uri}: columns must be a list of column objects, got "
                                 f"{_kind(columns)}")
    for index, column in enumerate(columns):
        if not isinstance(column, dict):
            raise AnalyzerInputError(f"partial statistics {uri}: column {index} is not an object")
        where = f"partial statistics {uri}: column {index} ({column.get('name')!r})"
        absent = [key for key in _COLUMN_FIELDS if key not in column]
        if absent:
            raise AnalyzerInputError(f"{where}: missing field(s) {', '.join(absent)}")
        for key, types in _COLUMN_FIELDS.items():
            value = column[key]
            if not isinstance(value, types) or isinstance(value, bool):
                raise AnalyzerInputError(f"{where}: {key} must be {' or '.join(t.__name__ for t in types)}, got "
                                         f"{_kind(value)}")


def load_partial(raw: Any, uri: str) -> tuple[DatasetStats, int]:
    """A checked partial statistics document → (statistics, malformed records)."""
    if isinstance(raw, dict) and raw.get("format") == PARTIAL_FORMAT and raw.get("version") == PARTIAL_VERSION:
        check_partial(raw, uri)  # other formats and versions: from_json says what they are
    try:
        return DatasetStats.from_json(raw)
    except AnalyzerInputError as exc:
        raise AnalyzerInputError(f"partial statistics {uri}: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:  # an optional field of the wrong type
        raise AnalyzerInputError(f"partial statistics {uri}: {type(exc).__name__}: {exc}") from exc


def merge_partial(stats: DatasetStats, part: DatasetStats, uri: str) -> None:
    """`stats.merge(part)`, refused first (naming the column) when a column's sketch was built with another k:
    KLL sketches of different k do not merge."""
    for name, theirs in part.columns.items():
        ours = stats.columns.get(name)
        if ours is not None and ours.sketch.k != theirs.sketch.k:
            raise AnalyzerInputError(
                f"partial statistics {uri}: column {name!r}: its KLL sketch has k={theirs.sketch.k}, the files "
                f"merged before it k={ours.sketch.k}; run every shard with the same k")
    stats.merge(part)
