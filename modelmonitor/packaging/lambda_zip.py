"""Builds the analyzer Lambda's zip package: our analyzer's sources, its C modules cross-compiled for Lambda's
platform (`native`), and orjson's manylinux wheel. numpy and pyarrow come from the managed AWS SDK for pandas layer
(`layers`), boto3 from Lambda's Python runtime.

The zip is deterministic (sorted entries, fixed timestamps and modes): the same sources give the same bytes, so
Pulumi sees no change when nothing changed. A manifest beside it records what it was built from and its unzipped
size, which `tests/packaging` checks against Lambda's 262,144,000-byte limit together with the layer.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from modelmonitor.packaging import native

LAMBDA_PYTHON = "3.12"
"""The analyzer function's runtime (python3.12: Amazon Linux 2023). The C modules are built against its headers."""
ORJSON_VERSION = "3.13.0"
"""Pinned: the wheel in the zip is a build input (pyproject.toml's orjson>=3.9 range includes it)."""
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The `modelmonitor` package directory the sources are taken from."""
INCLUDED = ("__init__.py", "errors.py")
"""Outside `analyzer/`, the analyzer imports only these of ours (import-linter keeps it that way)."""


@dataclass(frozen=True)
class BuildSpec:
    python: str
    arch: native.Machine

    @property
    def lambda_arch(self) -> str:
        return next(k for k, v in native.LAMBDA_ARCHITECTURE.items() if v == self.arch)

    @property
    def zip_name(self) -> str:
        return f"analyzer-lambda-py{self.python}-{self.lambda_arch}.zip"

    @property
    def manifest_name(self) -> str:
        return self.zip_name.removesuffix(".zip") + ".json"

    @property
    def wheel_platform(self) -> str:
        return f"manylinux2014_{self.arch}"


def source_files(package_root: Path = PACKAGE_ROOT) -> dict[str, Path]:
    """Archive path → file: the analyzer's Python sources and the two top-level modules it imports. No compiled
    modules of this machine (the cross-compiled ones are added) and no bytecode caches."""
    files = {f"modelmonitor/{name}": package_root / name for name in INCLUDED}
    for path in sorted((package_root / "analyzer").rglob("*.py")):
        if "__pycache__" not in path.parts:
            files[f"modelmonitor/{path.relative_to(package_root).as_posix()}"] = path
    return files


def orjson_download_command(spec: BuildSpec, dest: Path) -> list[str]:
    """pip's own platform selection: only a binary wheel for Lambda's platform and Python, never an sdist."""
    abi = f"cp{spec.python.replace('.', '')}"
    return [sys.executable, "-m", "pip", "download", f"orjson=={ORJSON_VERSION}", "--no-deps", "--only-binary=:all:",
            "--platform", spec.wheel_platform, "--python-version", spec.python, "--implementation", "cp",
            "--abi", abi, "--dest", str(dest), "--quiet"]


def write_zip(staging: Path, target: Path) -> int:
    """A deterministic zip of `staging`; returns the unzipped size in bytes."""
    total = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), date_time=ZIP_TIMESTAMP)
            # Lambda runs the code as another user than the one that unpacks it: files must be world-readable.
            info.external_attr = (0o755 if path.suffix == ".so" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            total += len(data)
            archive.writestr(info, data)
    return total


def build(spec: BuildSpec, *, out_dir: Path, python_include: Path, zig: list[str] | None = None,
          wheel_dir: Path | None = None) -> Path:
    """Build the zip into `out_dir`; returns its path. `wheel_dir` holds an already downloaded orjson wheel."""
    zig = zig or [sys.executable, "-m", "ziglang"]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mm-lambda-") as tmp:
        staging = Path(tmp) / "staging"
        for archive_path, source in source_files().items():
            target = staging / archive_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        repo_root = PACKAGE_ROOT.parent
        for module in native.MODULES:
            output = staging / module.relative_dir / (module.basename + native.extension_suffix(spec.python,
                                                                                                  spec.arch))
            subprocess.run(native.cross_compile_command(module, zig=zig, machine=spec.arch,
                                                        python_include=python_include, root=repo_root,
                                                        output=output), check=True)
        wheels = wheel_dir or Path(tmp) / "wheels"
        if wheel_dir is None:
            subprocess.run(orjson_download_command(spec, wheels), check=True)
        wheel = _one_wheel(wheels, spec)
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(staging)
        target = out_dir / spec.zip_name
        unzipped = write_zip(staging, target)
    manifest = {"python": spec.python, "architecture": spec.lambda_arch, "orjson_wheel": wheel.name,
                "unzipped_bytes": unzipped, "sha256": hashlib.sha256(target.read_bytes()).hexdigest()}
    (out_dir / spec.manifest_name).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return target


def _one_wheel(wheels: Path, spec: BuildSpec) -> Path:
    found = sorted(wheels.glob(f"orjson-{ORJSON_VERSION}-*manylinux*{spec.arch}*.whl"))
    if not found:
        raise FileNotFoundError(f"no orjson {ORJSON_VERSION} manylinux wheel for {spec.arch} in {wheels}")
    return found[0]
