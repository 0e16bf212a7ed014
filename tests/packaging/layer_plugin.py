"""pytest plugin for `make layer-compat`: the analyzer's tests must run on what the Lambda runs — the zip's sources
and cross-compiled C modules (unpacked at $MODELMONITOR_LAYER_TASK) and the AWS SDK for pandas layer's numpy and
pyarrow (`modelmonitor.packaging.layers` pins, passed as $MODELMONITOR_LAYER_PINS: the zip does not carry the
packaging module). Anything else loaded instead stops the session before a single test passes on the wrong code."""

from __future__ import annotations

import os
from pathlib import Path

import numpy
import pyarrow

import modelmonitor.analyzer.native._csvfast as csvfast
import modelmonitor.analyzer.native._kll as kll


def pytest_configure() -> None:
    task = Path(os.environ["MODELMONITOR_LAYER_TASK"]).resolve()
    for module in (csvfast, kll):
        origin = Path(str(module.__file__)).resolve()
        if task not in origin.parents:
            raise RuntimeError(f"{module.__name__} loaded from {origin}, not from the Lambda zip at {task}")
    loaded = f"numpy=={numpy.__version__} pyarrow=={pyarrow.__version__}"
    if loaded != os.environ["MODELMONITOR_LAYER_PINS"]:
        raise RuntimeError(f"loaded {loaded}; the layer carries {os.environ['MODELMONITOR_LAYER_PINS']}")
