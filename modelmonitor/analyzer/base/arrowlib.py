"""pyarrow, imported on first use. A CSV whose columns are all numbers is read by the C parser and never touches
Arrow, and importing it costs ~70 ms of every run's start-up (a third of the analyzer's). Modules take `pa`, `pc`,
`pacsv` and `pajson` from here; type checkers see the real modules."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any


class _OnFirstUse(ModuleType):
    """Stands for a module until an attribute is read, then imports it and keeps its namespace."""

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, attr)


if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
else:
    pa = _OnFirstUse("pyarrow")
    pc = _OnFirstUse("pyarrow.compute")
    pacsv = _OnFirstUse("pyarrow.csv")
    pajson = _OnFirstUse("pyarrow.json")

__all__ = ["pa", "pacsv", "pajson", "pc"]
