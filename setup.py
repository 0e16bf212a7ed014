"""Native parts of the analyzer's hot path (everything else is in pyproject.toml). Plain C against CPython's
stable-enough API and the buffer protocol: no NumPy headers, nothing to install beyond a C compiler, which
`pip install` (and the analyzer image's build stage) needs for these two modules. The sources live in
`modelmonitor/analyzer/native/`, the analyzer's lowest layer."""

from setuptools import Extension, setup

_FLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
_NATIVE = "modelmonitor/analyzer/native"

setup(ext_modules=[
    Extension("modelmonitor.analyzer.native._csvfast",
              [f"{_NATIVE}/_csvfast.c", f"{_NATIVE}/_csvfast_kernels.c", f"{_NATIVE}/_csvfast_text.c"],
              depends=[f"{_NATIVE}/_csvfast_kernels.h", f"{_NATIVE}/_csvfast_text.h"],
              extra_compile_args=_FLAGS),
    Extension("modelmonitor.analyzer.native._kll",
              [f"{_NATIVE}/_kll.c", f"{_NATIVE}/_kll_core.c", f"{_NATIVE}/_kll_sort.c"],
              depends=[f"{_NATIVE}/_kll_core.h"], extra_compile_args=_FLAGS),
])
