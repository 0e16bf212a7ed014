"""Native parts of the analyzer's hot path (everything else is in pyproject.toml). Plain C against CPython's
stable-enough API and the buffer protocol: no NumPy headers, nothing to install beyond a C compiler, which
`pip install` (and the analyzer image's build stage) needs for these two modules."""

from setuptools import Extension, setup

_FLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]

setup(ext_modules=[
    Extension("modelmonitor.analyzer._csvfast", ["modelmonitor/analyzer/_csvfast.c",
                                                 "modelmonitor/analyzer/_csvfast_kernels.c",
                                                 "modelmonitor/analyzer/_csvfast_text.c"],
              depends=["modelmonitor/analyzer/_csvfast_kernels.h", "modelmonitor/analyzer/_csvfast_text.h"],
              extra_compile_args=_FLAGS),
    Extension("modelmonitor.analyzer._kll", ["modelmonitor/analyzer/_kll.c", "modelmonitor/analyzer/_kll_core.c",
                                             "modelmonitor/analyzer/_kll_sort.c"],
              depends=["modelmonitor/analyzer/_kll_core.h"], extra_compile_args=_FLAGS),
])
