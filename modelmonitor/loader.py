"""Read ModelMonitor documents from files and report every problem precisely.

Every error names the file, the document (its name when readable, else its 1-based index), the field path and
what was expected. All problems of all files are collected before raising, so one run shows the whole list.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from modelmonitor.errors import ManifestError, ManifestProblem
from modelmonitor.spec import API_VERSION, KIND, ModelMonitorDocument

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedMonitor:
    """A valid document and where it came from."""

    source: str
    index: int
    document: ModelMonitorDocument


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one, losing data)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable mapping key {key!r}", key_node.start_mark) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def manifest_files(path: Path) -> list[Path]:
    """The manifest files at `path`: the file itself, or a directory's *.yaml/*.yml files (sorted, not recursive)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix in MANIFEST_SUFFIXES)
    return [path]


def load_monitors(*paths: str | Path) -> list[LoadedMonitor]:
    """Load and validate every ModelMonitor document under `paths`; raise ManifestError listing all problems."""
    problems: list[ManifestProblem] = []
    loaded: list[LoadedMonitor] = []
    for path in map(Path, paths):
        if not path.exists():
            problems.append(ManifestProblem(str(path), "", "", "no such file or directory", missing_input=True))
            continue
        files = manifest_files(path)
        if not files:
            problems.append(ManifestProblem(str(path), "", "", "directory holds no *.yaml or *.yml files",
                                            missing_input=True))
        for file in files:
            docs, file_problems = parse_text(_read(file, problems), str(file))
            loaded.extend(docs)
            problems.extend(file_problems)
    problems.extend(_duplicates(loaded))
    if problems:
        raise ManifestError(problems)
    return loaded


def _read(file: Path, problems: list[ManifestProblem]) -> str | None:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ManifestProblem(str(file), "", "", f"cannot read file: {exc}"))
        return None


def parse_text(text: str | None, source: str) -> tuple[list[LoadedMonitor], list[ManifestProblem]]:
    """Parse one file's text into documents; return the valid ones and the problems of the others."""
    if text is None:
        return [], []
    try:
        raw_docs = [d for d in yaml.load_all(text, Loader=_StrictLoader) if d is not None]
    except yaml.YAMLError as exc:
        return [], [ManifestProblem(source, "", "", f"not valid YAML: {_yaml_reason(exc)}")]
    except RecursionError:
        return [], [ManifestProblem(source, "", "", "not valid YAML: nesting too deep")]
    if not raw_docs:
        return [], [ManifestProblem(source, "", "", "file is empty: expected at least one ModelMonitor document")]
    loaded: list[LoadedMonitor] = []
    problems: list[ManifestProblem] = []
    for index, raw in enumerate(raw_docs, start=1):
        try:
            loaded.append(LoadedMonitor(source, index, parse_document(raw, source=source, index=index)))
        except ManifestError as exc:
            problems.extend(exc.problems)
    return loaded, problems


def parse_document(raw: object, *, source: str = "<input>", index: int = 1) -> ModelMonitorDocument:
    """Validate one already-decoded document (a file's YAML document or a custom resource body)."""
    label = _document_label(raw, index)
    if not isinstance(raw, Mapping):
        raise ManifestError([ManifestProblem(
            source, label, "", f"expected a mapping (a ModelMonitor document), got {type(raw).__name__}")])
    header = _header_problems(raw, source, label)
    if header:
        raise ManifestError(header)
    try:
        return ModelMonitorDocument.model_validate(dict(raw))
    except ValidationError as exc:
        raise ManifestError([ManifestProblem(source, label, _path(err["loc"]), _message(err))
                             for err in exc.errors(include_url=False)]) from None


def _header_problems(raw: Mapping[Any, Any], source: str, label: str) -> list[ManifestProblem]:
    """Wrong apiVersion/kind means it is not our document at all: say so before any field noise."""
    problems = []
    if raw.get("apiVersion") != API_VERSION:
        problems.append(ManifestProblem(source, label, "apiVersion",
                                        f"must be {API_VERSION}, got {raw.get('apiVersion')!r}"))
    if raw.get("kind") != KIND:
        problems.append(ManifestProblem(source, label, "kind", f"must be {KIND}, got {raw.get('kind')!r}"))
    return problems


def _document_label(raw: object, index: int) -> str:
    if isinstance(raw, Mapping):
        metadata = raw.get("metadata")
        if isinstance(metadata, Mapping) and isinstance(metadata.get("name"), str) and metadata["name"]:
            return str(metadata["name"])
    return f"document {index}"


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: ErrorDetails) -> str:
    kind, ctx, value = err["type"], err.get("ctx", {}), err.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field_message(err["loc"])
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}, got {value!r}"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("greater than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}, got {value!r}"
    if kind in ("string_too_long", "too_long"):
        return f"too long: at most {ctx.get('max_length')} {'characters' if kind == 'string_too_long' else 'items'}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("model_type", "dict_type"):
        return f"must be a mapping, got {type(value).__name__}"
    if kind == "list_type":
        return f"must be a list, got {type(value).__name__}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {value!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, got {value!r}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {value!r}"
    if kind == "string_type":
        return f"must be a string, got {type(value).__name__}"
    return err["msg"]


def _unknown_field_message(loc: tuple[int | str, ...]) -> str:
    field = str(loc[-1])
    allowed = _allowed_fields(loc[:-1])
    if not allowed:
        return "unknown field"
    close = difflib.get_close_matches(field, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown field; {hint}allowed: {', '.join(sorted(allowed))}"


def _allowed_fields(loc: tuple[int | str, ...]) -> list[str]:
    """Field aliases of the model at `loc` inside a document, found by walking the model classes."""
    model: type[BaseModel] = ModelMonitorDocument
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for name, f in model.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return []
        nested = _model_in(field.annotation)
        if nested is None:
            return []
        model = nested
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


def _duplicates(loaded: list[LoadedMonitor]) -> list[ManifestProblem]:
    first: dict[tuple[str, str], LoadedMonitor] = {}
    problems = []
    for monitor in loaded:
        key = monitor.document.key
        if key in first:
            problems.append(ManifestProblem(
                monitor.source, monitor.document.metadata.name, "metadata.name",
                f"duplicate monitor {key[0]}/{key[1]}: also defined in {first[key].source} "
                f"(document {first[key].index})"))
        else:
            first[key] = monitor
    return problems
