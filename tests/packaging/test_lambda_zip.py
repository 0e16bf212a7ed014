"""The analyzer's Lambda zip as built by `make lambda-package` (a prerequisite of `make test`): what Lambda will
unpack and load.

Outside references: Lambda's quota "Deployment package (.zip file archive) size: 250 MB (unzipped), including
layers" = 262,144,000 bytes (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; also Lambda's own
error text "Layers consume more than the available size of 262144000 bytes"); auditwheel's manylinux policies for
which glibc symbol versions a binary may need; Lambda's python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34,
docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from modelmonitor.packaging import lambda_zip, native
from modelmonitor.packaging.layers import LAYER_UNZIPPED_BYTES
from modelmonitor.packaging.locate import lambda_package

LAMBDA_UNZIPPED_LIMIT = 262_144_000
AL2023_GLIBC = (2, 34)
ARCHES = sorted(native.LAMBDA_ARCHITECTURE)


def unzipped_bytes(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


@pytest.mark.parametrize("arch", ARCHES)
def test_function_and_layer_fit_lambdas_unzipped_limit(arch: str) -> None:
    size = unzipped_bytes(lambda_package(arch))
    assert size + LAYER_UNZIPPED_BYTES <= LAMBDA_UNZIPPED_LIMIT, (size, LAYER_UNZIPPED_BYTES)


@pytest.mark.parametrize("arch", ARCHES)
def test_the_zip_carries_the_handler_our_modules_for_lambdas_python_and_orjsons_wheel(arch: str) -> None:
    machine = native.LAMBDA_ARCHITECTURE[arch]
    with zipfile.ZipFile(lambda_package(arch)) as archive:
        names = set(archive.namelist())
    assert "modelmonitor/analyzer/entry/lambda_handler.py" in names
    suffix = native.extension_suffix(lambda_zip.LAMBDA_PYTHON, machine)
    assert suffix == f".cpython-312-{machine}-linux-gnu.so"
    assert {f"{m.relative_dir}/{m.basename}{suffix}" for m in native.MODULES} <= names
    assert f"orjson/orjson{suffix}" in names
    # nothing of this machine's build and no bytecode: only what Lambda's Python loads
    assert not [n for n in names if "__pycache__" in n or (n.endswith(".so") and not n.endswith(suffix))]
    assert not [n for n in names if n.startswith(("numpy/", "pyarrow/"))]  # the layer carries them


def _wheel_of_binaries(zip_path: Path, machine: str, tmp: Path) -> Path:
    """auditwheel audits wheels: wrap the zip's shared objects in a minimal one tagged for Lambda's Python."""
    tag = f"cp312-cp312-linux_{machine}"
    wheel = tmp / f"lambdabinaries-0-{tag}.whl"
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(wheel, "w") as out:
        records = []
        for name in source.namelist():
            if name.endswith(".so"):
                out.writestr(name, source.read(name))
                records.append(f"{name},,")
        out.writestr("lambdabinaries-0.dist-info/METADATA", "Metadata-Version: 2.1\nName: lambdabinaries\n"
                     "Version: 0\n")
        out.writestr("lambdabinaries-0.dist-info/WHEEL", f"Wheel-Version: 1.0\nGenerator: test\n"
                     f"Root-Is-Purelib: false\nTag: {tag}\n")
        out.writestr("lambdabinaries-0.dist-info/RECORD", "\n".join(records) + "\n")
    return wheel


@pytest.mark.parametrize("arch", ARCHES)
def test_every_binary_in_the_zip_is_manylinux_for_lambdas_machine(arch: str, tmp_path: Path) -> None:
    machine = native.LAMBDA_ARCHITECTURE[arch]
    wheel = _wheel_of_binaries(lambda_package(arch), machine, tmp_path)
    done = subprocess.run([sys.executable, "-m", "auditwheel", "show", "--json", str(wheel)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    policy = report["overall_tag"]
    assert policy.startswith("manylinux_") and policy.endswith(f"_{machine}"), policy
    major, minor = (int(p) for p in policy.split("_")[1:3])
    assert (major, minor) <= AL2023_GLIBC, policy
    assert report["external_libs"] == {}, report  # links nothing beyond the manylinux system libraries
    assert not report["unsupported_isa"], report


def test_the_zip_is_deterministic(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    (staging / "pkg").mkdir(parents=True)
    (staging / "pkg" / "b.py").write_text("b = 1\n")
    (staging / "pkg" / "a.py").write_text("a = 1\n")
    first, second = tmp_path / "1.zip", tmp_path / "2.zip"
    assert lambda_zip.write_zip(staging, first) == 12
    (staging / "pkg" / "a.py").touch()  # a newer mtime must not change the bytes
    lambda_zip.write_zip(staging, second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert [i.filename for i in archive.infolist()] == ["pkg/a.py", "pkg/b.py"]
        assert all(i.external_attr >> 16 == 0o644 for i in archive.infolist())


def test_render_refuses_a_missing_package_with_the_command_that_builds_it(tmp_path: Path) -> None:
    """Rendering never compiles or downloads: without the built zip the plan is refused (exit 2), not guessed."""
    import os

    empty = tmp_path / "none"
    empty.mkdir()
    done = subprocess.run([sys.executable, "-m", "modelmonitor.cli", "render",
                           str(Path(__file__).resolve().parents[2] / "examples" / "lambda-engine.yaml")],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "MODELMONITOR_LAMBDA_PACKAGE_DIR": str(empty)})
    assert done.returncode == 2, done.stderr[-2000:]
    assert "make lambda-package" in done.stderr and "spec.engineSettings.analyzerImage" in done.stderr
    assert "Traceback" not in done.stderr
