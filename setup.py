"""Native parts of the analyzer's hot path (everything else is in pyproject.toml). Plain C against CPython's
stable-enough API and the buffer protocol: no NumPy headers, nothing to install beyond a C compiler, which
`pip install` (and the analyzer image's build stage) needs for these two modules. The sources live in
`modelmonitor/analyzer/native/`, the analyzer's lowest layer; the module list is
`modelmonitor.packaging.native.MODULES`, which the cross-compiled Lambda build uses too."""

import sys
from pathlib import Path

from setuptools import Extension, setup

sys.path.insert(0, str(Path(__file__).resolve().parent))
from modelmonitor.packaging.native import COMPILE_FLAGS, MODULES

setup(ext_modules=[
    Extension(module.name, list(module.sources), depends=list(module.depends), extra_compile_args=list(COMPILE_FLAGS))
    for module in MODULES
])
