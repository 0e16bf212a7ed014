"""The analyzer Dockerfile cannot be built here: check what can be checked statically."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[3] / "docker/analyzer/Dockerfile"


def _stages(text: str) -> list[list[str]]:
    """The Dockerfile's stages, each as its instruction lines (continuations joined, comments dropped)."""
    lines = re.sub(r"\\\n\s*", " ", text).splitlines()
    stages: list[list[str]] = []
    for line in (ln.strip() for ln in lines):
        if line.startswith("FROM "):
            stages.append([])
        if line and not line.startswith("#") and stages:
            stages[-1].append(line)
    return stages


def test_base_image_and_entrypoint() -> None:
    text = DOCKERFILE.read_text()
    final = _stages(text)[-1]
    assert final[0] == "FROM public.ecr.aws/lambda/python:3.11"
    assert 'ENTRYPOINT ["python", "-m", "modelmonitor.analyzer"]' in final


def test_a_build_stage_compiles_the_c_modules_and_the_image_ships_no_compiler(repo: Path) -> None:
    """The base image has no C compiler: a build stage (the same image plus gcc) makes the wheel, the final stage
    installs it and imports every extension setup.py declares."""
    build, final = _stages(DOCKERFILE.read_text())
    assert build[0] == "FROM public.ecr.aws/lambda/python:3.11 AS build"
    assert any("install -y gcc" in line for line in build)
    assert any(line.startswith("COPY") and "setup.py" in line for line in build)
    assert any("pip wheel" in line and "--wheel-dir /wheels" in line for line in build)
    assert "COPY --from=build /wheels /tmp/wheels" in final
    assert not any("gcc" in line for line in final)
    install = next(line for line in final if "--no-deps /tmp/wheels/modelmonitor-" in line)
    # setup.py builds the modules modelmonitor/packaging/native.py declares (read as text: the Lambda zip's tests
    # run without the packaging module)
    extensions = re.findall(r'NativeModule\("([\w.]+)"', (repo / "modelmonitor/packaging/native.py").read_text())
    assert extensions and all(ext in install for ext in extensions), extensions


def test_pinned_requirements_match_pyproject(repo: Path) -> None:
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"]
    installed = re.findall(r'"([a-zA-Z0-9_-]+[<>=][^"]*)"', DOCKERFILE.read_text())
    assert installed
    assert set(installed) <= set(declared), set(installed) - set(declared)
    # Our own KLL sketch replaced DataSketches in the product; the library stays for the golden tests only.
    assert not any(dep.startswith("datasketches") for dep in declared + installed)
    assert any(dep.startswith("datasketches") for dep in project["optional-dependencies"]["dev"])


def test_runtime_imports_are_covered(repo: Path) -> None:
    """Every third-party module the analyzer imports at runtime is installed by the Dockerfile."""
    installed = {re.split(r"[<>=]", r)[0].lower() for r in
                 re.findall(r'"([a-zA-Z0-9_-]+[<>=][^"]*)"', DOCKERFILE.read_text())}
    module_to_dist = {"numpy": "numpy", "orjson": "orjson", "pyarrow": "pyarrow",
                      "boto3": "boto3", "botocore": "boto3", "rich": "rich", "pydantic": "pydantic", "yaml": "pyyaml"}
    stdlib_or_own = {"modelmonitor", "__future__"}
    imported: set[str] = set()
    for path in (repo / "modelmonitor/analyzer").rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:from|import) ([a-zA-Z0-9_]+)", path.read_text(), re.M))
    import sys
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m not in stdlib_or_own}
    assert third_party <= set(module_to_dist), third_party - set(module_to_dist)
    assert {module_to_dist[m] for m in third_party} <= installed
