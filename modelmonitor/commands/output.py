"""Terminal output of the commands: a rich console on stdout that lets a closed pipe end the command the way the
CLI handles it (`cli.EXIT_BROKEN_PIPE`, no traceback) instead of rich's own exit status 1, which our commands use
for "findings"."""

from __future__ import annotations

from typing import Any


def stdout_console(**options: Any) -> Any:
    from rich.console import Console

    class _PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _PipeConsole(**options)
