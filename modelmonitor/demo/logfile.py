"""demo.log: the components' own logs (analyzer, alert Lambda, emulators) in one plain-text format, with a marker
line per simulated hour. The console tells the story; this file is where to look when something surprises.

The alert Lambda switches every root handler to its JSON format (what CloudWatch Logs wants), and emits one EMF
metrics blob per invocation; the Kubernetes emulator logs an access line per request. None of that helps a person
reading the demo, so this handler keeps its own format and drops those records.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DROPPED_LOGGERS = ("aiohttp.access", "werkzeug")
"""Per-request access lines of the local emulators."""
ALERT_KEYS = ("outcome", "kind", "monitor", "reason")

logger = logging.getLogger(__name__)


class TextFormatter(logging.Formatter):
    """`HH:MM:SS LEVEL logger: message [outcome=… kind=…]` — the alert handler's structured keys as a suffix."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        keys = [f"{key}={value}" for key in ALERT_KEYS if (value := getattr(record, key, ""))]
        return f"{text} [{' '.join(keys)}]" if keys else text


class DemoLogHandler(logging.FileHandler):
    """A file handler whose format the components cannot replace, without EMF blobs and access lines."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        super().setFormatter(TextFormatter())

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        del fmt  # one format for the whole file, whoever asks for another

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "emf", None) is not None or record.name.startswith(DROPPED_LOGGERS):
            return False
        return bool(super().filter(record))


@contextmanager
def logs_to(path: Path) -> Iterator[None]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    handler = DemoLogHandler(path)
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)
        handler.close()


def hour_marker(index: int, label: str) -> None:
    logger.info("===== hour %02d: %s =====", index, label)


@contextmanager
def fresh_output(out: Path) -> Iterator[None]:
    """A demo run's output folder, emptied and made again, with the run's logs going to its demo.log."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with logs_to(out / "demo.log"):
        yield
