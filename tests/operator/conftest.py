"""Operator tests are async (pytest-asyncio) and share the session with Pulumi-mock tests.

Pulumi-mock tests can leave an implicitly created event loop set on the main thread; once an async test replaces
it, its garbage collection warns (unclosed loop and sockets) inside whichever later test happens to collect it, and
warnings are errors here. Closing that leftover before the first operator test keeps every test's outcome its own.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def close_leftover_main_loop() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            loop = None
    if loop is not None and not loop.is_running() and not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)
    yield
