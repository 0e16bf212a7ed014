"""The analyzer's C extension modules: one definition for setup.py (the local build) and for the cross-compiled
Lambda build (`cross_compile_command`, zig's clang targeting manylinux2014's glibc 2.17).

Why zig: it ships a clang plus glibc stubs for any target, from PyPI (`ziglang`), so a laptop, CI or the operator's
image builds Lambda's x86_64 and aarch64 modules with no Docker and no system cross-toolchain. The modules are
built per Python version (Lambda's runtime), not abi3: the sources use CPython macros outside the limited API
(PySequence_Fast_GET_ITEM, PyList_SET_ITEM).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

NATIVE_DIR = "modelmonitor/analyzer/native"
COMPILE_FLAGS = ("-O3", "-std=c11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration")
GLIBC = "2.17"
"""manylinux2014's glibc: older than Amazon Linux 2 (2.26) and AL2023 (2.34), Lambda's Python runtimes' OSes."""
Machine = Literal["x86_64", "aarch64"]
LAMBDA_ARCHITECTURE: dict[str, Machine] = {"x86_64": "x86_64", "arm64": "aarch64"}
"""Lambda's architecture names → the machine names of manylinux tags and compilers."""


@dataclass(frozen=True)
class NativeModule:
    name: str
    """Dotted module name."""
    sources: tuple[str, ...]
    depends: tuple[str, ...]

    @property
    def relative_dir(self) -> str:
        return "/".join(self.name.split(".")[:-1])

    @property
    def basename(self) -> str:
        return self.name.rsplit(".", 1)[1]


MODULES = (
    NativeModule("modelmonitor.analyzer.native._csvfast",
                 (f"{NATIVE_DIR}/_csvfast.c", f"{NATIVE_DIR}/_csvfast_kernels.c", f"{NATIVE_DIR}/_csvfast_text.c"),
                 (f"{NATIVE_DIR}/_csvfast_kernels.h", f"{NATIVE_DIR}/_csvfast_text.h")),
    NativeModule("modelmonitor.analyzer.native._kll",
                 (f"{NATIVE_DIR}/_kll.c", f"{NATIVE_DIR}/_kll_core.c", f"{NATIVE_DIR}/_kll_sort.c",
                  f"{NATIVE_DIR}/_kll_simd.c"),
                 (f"{NATIVE_DIR}/_kll_core.h",)),
)


def extension_suffix(python: str, machine: Machine) -> str:
    """CPython's EXT_SUFFIX on Linux/glibc for `python` ("3.12") on `machine`: `.cpython-312-x86_64-linux-gnu.so`."""
    return f".cpython-{python.replace('.', '')}-{machine}-linux-gnu.so"


def cross_compile_command(module: NativeModule, *, zig: list[str], machine: Machine, python_include: Path,
                          root: Path, output: Path) -> list[str]:
    """The compiler call that builds `module` for `machine`/glibc 2.17 against `python_include` (the headers of
    the Python version the Lambda runtime runs). `zig` is how to start zig, e.g. [python, "-m", "ziglang"]."""
    return [*zig, "cc", "-target", f"{machine}-linux-gnu.{GLIBC}", "-shared", "-fPIC", *COMPILE_FLAGS,
            # setuptools passes CPython's CFLAGS, which carry -DNDEBUG: the same here
            "-DNDEBUG", f"-I{python_include}", *(str(root / s) for s in module.sources), "-o", str(output)]
