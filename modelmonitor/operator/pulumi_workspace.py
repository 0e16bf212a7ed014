"""The real `Workspace`: Pulumi's LocalWorkspace with an inline program (needs the `pulumi` CLI).

Imported only inside the worker process of an operation, so the operator's event loop never loads Pulumi.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelmonitor.operator.stacks import Outcome, StackHandle, StackRequest, UpdateInfo, prepare_dirs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PulumiWorkspace:
    plugins_dir: Path | None = None
    requires_cli: bool = True

    def open(self, request: StackRequest, *, create: bool) -> StackHandle | None:
        from pulumi import automation as auto

        prepare_dirs(request, self.plugins_dir)
        backend = auto.ProjectBackend(request.backend_url) if request.backend_url else None
        options = auto.LocalWorkspaceOptions(
            work_dir=request.work_dir, pulumi_home=request.pulumi_home, env_vars=dict(request.env),
            secrets_provider=request.secrets_provider,
            project_settings=auto.ProjectSettings(name=request.project_name, runtime="python", backend=backend))
        program = _program(request)
        if create:
            stack = auto.create_or_select_stack(stack_name=request.stack_name, project_name=request.project_name,
                                                program=program, opts=options)
        else:
            try:
                stack = auto.select_stack(stack_name=request.stack_name, project_name=request.project_name,
                                          program=program, opts=options)
            except auto.StackNotFoundError:
                return None
        stack.set_all_config({key: auto.ConfigValue(value) for key, value in request.config.items()})
        return _PulumiStack(stack)


def _program(request: StackRequest) -> Callable[[], None]:
    if request.document is None:
        return _empty_program  # destroy and forget never run the program
    program = importlib.import_module("modelmonitor.components.program")
    return functools.partial(program.monitor_program, request.document,
                             program.ProgramSettings(**request.program_settings))


def _empty_program() -> None:
    return None


class _PulumiStack:
    def __init__(self, stack: Any) -> None:
        self._stack = stack

    def up(self) -> Outcome:
        result = self._stack.up(on_output=_log_line)
        return Outcome(update_id=_version(result.summary), outputs=_outputs(result.outputs),
                       summary=_changes(result.summary.resource_changes))

    def destroy(self) -> Outcome:
        result = self._stack.destroy(on_output=_log_line)
        return Outcome(update_id=_version(result.summary), summary=_changes(result.summary.resource_changes))

    def preview_refresh(self) -> Outcome:
        result = self._stack.preview_refresh(on_output=_log_line)
        changes = {k: v for k, v in (result.change_summary or {}).items() if k != "same"}
        return Outcome(summary=_changes(changes), changes=sum(changes.values()))

    def refresh(self) -> Outcome:
        result = self._stack.refresh(on_output=_log_line)
        return Outcome(update_id=_version(result.summary), summary=_changes(result.summary.resource_changes))

    def cancel(self) -> None:
        self._stack.cancel()

    def latest_update(self) -> UpdateInfo | None:
        info = self._stack.info(show_secrets=False)
        return None if info is None else UpdateInfo(info.kind, info.result, info.start_time)

    def remove(self) -> None:
        self._stack.workspace.remove_stack(self._stack.name, force=True)

    def rename(self, new_name: str) -> None:
        self._stack.rename(new_name, on_output=_log_line)


def _log_line(line: str) -> None:
    logger.debug("pulumi: %s", line.rstrip())


def _version(summary: Any) -> str | None:
    version = getattr(summary, "version", None)
    return None if version is None else str(version)


def _outputs(outputs: Mapping[str, Any]) -> dict[str, tuple[object, bool]]:
    return {key: (value.value, bool(value.secret)) for key, value in outputs.items()}


def _changes(changes: Mapping[str, int] | None) -> str:
    if not changes:
        return "no changes"
    return ", ".join(f"{count} {kind}" for kind, count in sorted(changes.items()))
