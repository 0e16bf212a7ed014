"""The analyzer Dockerfile cannot be built here: check what can be checked statically."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "docker/analyzer/Dockerfile"


def test_base_image_and_entrypoint() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM public\.ecr\.aws/lambda/python:3\.11$", text, re.M)
    assert 'ENTRYPOINT ["python", "-m", "modelmonitor.analyzer"]' in text


def test_pinned_requirements_match_pyproject(repo: Path) -> None:
    declared = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    installed = re.findall(r'"([a-zA-Z0-9_-]+[<>=][^"]*)"', DOCKERFILE.read_text())
    assert installed
    assert set(installed) <= set(declared), set(installed) - set(declared)


def test_runtime_imports_are_covered(repo: Path) -> None:
    """Every third-party module the analyzer imports at runtime is installed by the Dockerfile."""
    installed = {re.split(r"[<>=]", r)[0].lower() for r in
                 re.findall(r'"([a-zA-Z0-9_-]+[<>=][^"]*)"', DOCKERFILE.read_text())}
    module_to_dist = {"numpy": "numpy", "orjson": "orjson", "pyarrow": "pyarrow", "datasketches": "datasketches",
                      "boto3": "boto3", "botocore": "boto3", "rich": "rich", "pydantic": "pydantic", "yaml": "pyyaml"}
    stdlib_or_own = {"modelmonitor", "__future__"}
    imported: set[str] = set()
    for path in (repo / "modelmonitor/analyzer").rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:from|import) ([a-zA-Z0-9_]+)", path.read_text(), re.M))
    import sys
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m not in stdlib_or_own}
    assert third_party <= set(module_to_dist), third_party - set(module_to_dist)
    assert {module_to_dist[m] for m in third_party} <= installed
