"""Stack drivers: one Pulumi stack per ModelMonitor, behind the `StackDriver` Protocol.

- `AutomationDriver`: the Pulumi Automation API over a `Workspace` (the real one shells out to the `pulumi` CLI;
  tests and `--driver fake` plug in `fakes.FakeWorkspace`). It owns the error mapping: lock conflicts and network
  trouble are temporary, validation-like failures permanent; a stale lock is cancelled once, then retried.
(`render_driver.RenderDriver` runs the program under Pulumi mocks instead.)
(`runner.OperationRunner` runs a driver's blocking calls off the event loop, bounded in number and time.)
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import re
import shutil
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from modelmonitor.errors import ModelMonitorError
from modelmonitor.operator.settings import OperatorSettings
from modelmonitor.spec import ModelMonitorDocument

logger = logging.getLogger(__name__)

OperationType = Literal["up", "destroy", "forget", "refresh", "preview"]
CLI_MISSING = "pulumi CLI not found on PATH; install it or use --driver render"
MAX_ERROR_TEXT = 1500

# Substrings of Pulumi/provider output that mean "the request itself is wrong": retrying cannot help.
_PERMANENT_MARKERS = ("ValidationException", "ValidationError", "InvalidParameterValue", "InvalidParameter",
                      "MalformedPolicyDocument", "is not valid", "invalid value", "Missing required",
                      "AccessDenied", "UnauthorizedOperation", "ResourceLimitExceeded",
                      "stack names are limited to")
# Failures that heal by themselves, checked before everything else (even inside the program's own error): IAM's
# eventual consistency — a role created in this update is not assumable for a few seconds (SageMaker: "Could not
# assume role ..."; Lambda: "The role defined for the function cannot be assumed by Lambda") —, the network, and
# throttling.
_PROPAGATION_MARKERS = ("Could not assume role", "cannot be assumed by", "is unable to assume", "unable to assume the")
_NETWORK_MARKERS = ("dial tcp", "i/o timeout", "connection reset by peer", "connection refused", "no such host",
                    "TLS handshake timeout", "Could not connect to the endpoint URL", "EndpointConnectionError",
                    "ThrottlingException", "Throttling:", "Rate exceeded", "RequestLimitExceeded",
                    "TooManyRequestsException", "ServiceUnavailable", "InternalFailure", "RequestTimeout")
_BUCKET_NOT_EMPTY = re.compile(r"S3 Bucket \(([^)]+)\).*?BucketNotEmpty|BucketNotEmpty", re.DOTALL)
_LOCK_HOLDER = re.compile(r"created by (\S+)@(\S+) \(pid (\d+)\)")
_LOCK_TIME = re.compile(r"\bat (\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)")


class DriverError(ModelMonitorError):
    """A stack operation failed; `permanent` says whether retrying can help."""

    permanent = False

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.delay = delay

    def __reduce__(self) -> tuple[Any, ...]:  # crosses process boundaries intact
        return (type(self), (self.message, self.delay))


class TemporaryDriverError(DriverError):
    """Lock conflict, network or throttling: retry with backoff."""


class PermanentDriverError(DriverError):
    """Invalid input, a program bug, or a missing prerequisite (the CLI): retrying cannot help."""

    permanent = True


class PropagationError(TemporaryDriverError):
    """IAM not yet consistent: retried, but only a few times — a role that never becomes assumable is a real error."""

    max_attempts = 5


class BucketNotEmptyError(PermanentDriverError):
    """Destroy met a bucket still holding monitoring results, which deletionPolicy Delete never deletes."""


class MissingStackError(PermanentDriverError):
    """Status proves a stack existed, the backend has none: never concluded to be "nothing to destroy"."""


# Pulumi's own rule for stack names (pulumi/pulumi pkg/backend/diy/store.go, ParseReference): "stack names are
# limited to 100 characters and may only contain alphanumeric, hyphens, underscores, or periods".
STACK_NAME_MAX = 100
_HASH_CHARS = 12


def stack_name(namespace: str, name: str) -> str:
    """The one identity of a monitor's stack: `<namespace>_<name>`, unique because `_` is in neither a namespace
    (DNS label) nor an object name (DNS subdomain), so the first `_` always splits them back. Longer than Pulumi's
    100 characters, the name is cut and a hash of the whole identity appended after a second `_` — a form no short
    identity can take, so a cut name never equals another monitor's full one."""
    full = f"{namespace}_{name}"
    if len(full) <= STACK_NAME_MAX:
        return full
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()[:_HASH_CHARS]
    return f"{full[:STACK_NAME_MAX - _HASH_CHARS - 1]}_{digest}"


def legacy_stack_name(namespace: str, name: str) -> str | None:
    """The identity older operators used (`<namespace>-<name>`, ambiguous): where an existing stack may live.
    None when Pulumi could never have created it (too long)."""
    legacy = f"{namespace}-{name}"
    return legacy if len(legacy) <= STACK_NAME_MAX else None


@dataclass(frozen=True)
class StackTarget:
    namespace: str
    name: str
    region: str | None
    document: ModelMonitorDocument | None = None
    """The parsed spec; needed by up/refresh/preview, absent for destroy/forget of an invalid spec."""
    recorded_stack: str | None = None
    """The stack name recorded in the resource's status (it wins over the computed one: identities never move)."""
    migrate_from: str | None = None
    """A legacy stack to rename to `stack_name` first, when it exists (resources applied by an older operator)."""
    must_exist: bool = False
    """Status proves a stack was applied: its absence is an error (wrong backend?), never "nothing to destroy"."""

    @property
    def stack_name(self) -> str:
        return self.recorded_stack or stack_name(self.namespace, self.name)


@dataclass(frozen=True)
class OperationResult:
    type: OperationType
    update_id: str | None = None
    outputs: Mapping[str, tuple[object, bool]] = field(default_factory=dict)
    """Stack outputs as (value, is_secret)."""
    summary: str = ""
    changes: int = 0
    """refresh/preview: resources that differ from the state."""


class StackDriver(Protocol):
    isolation: Literal["thread", "process"]

    def up(self, target: StackTarget) -> OperationResult: ...
    def destroy(self, target: StackTarget) -> OperationResult: ...
    def forget(self, target: StackTarget) -> OperationResult: ...
    def detect_drift(self, target: StackTarget) -> OperationResult: ...
    def remediate(self, target: StackTarget) -> OperationResult: ...
    def cancel(self, target: StackTarget) -> OperationResult:
        """Cancel the stack's running update (after its CLI was interrupted), releasing the lock."""
        ...


# --- Automation API ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackRequest:
    """Everything needed to open one stack; carries no secret (the passphrase stays in a file or the env)."""

    stack_name: str
    project_name: str
    document: ModelMonitorDocument | None
    config: Mapping[str, str]
    env: Mapping[str, str]
    work_dir: str
    pulumi_home: str
    secrets_provider: str | None
    backend_url: str | None
    program_settings: Mapping[str, str] = field(default_factory=dict)
    """Keyword arguments of components.program.ProgramSettings."""


@dataclass(frozen=True)
class Outcome:
    update_id: str | None = None
    outputs: Mapping[str, tuple[object, bool]] = field(default_factory=dict)
    summary: str = ""
    changes: int = 0


@dataclass(frozen=True)
class UpdateInfo:
    kind: str
    result: str
    start_time: datetime


class StackHandle(Protocol):
    def up(self) -> Outcome: ...
    def destroy(self) -> Outcome: ...
    def preview_refresh(self) -> Outcome: ...
    def refresh(self) -> Outcome: ...
    def cancel(self) -> None: ...
    def latest_update(self) -> UpdateInfo | None: ...
    def remove(self) -> None: ...
    def rename(self, new_name: str) -> None: ...


class Workspace(Protocol):
    @property
    def requires_cli(self) -> bool:
        """Whether operations shell out to the `pulumi` CLI (checked before each operation)."""
        ...

    def open(self, request: StackRequest, *, create: bool) -> StackHandle | None:
        """The stack (created when `create`), or None when it does not exist and `create` is False."""
        ...


def _utcnow_default() -> datetime:
    return datetime.now(UTC)


@dataclass
class AutomationDriver:
    settings: OperatorSettings
    workspace: Workspace
    isolation: Literal["thread", "process"] = "process"
    clock: Callable[[], datetime] = field(default=_utcnow_default)

    def up(self, target: StackTarget) -> OperationResult:
        return self._operate("up", target, create=True, action=lambda h: h.up())

    def detect_drift(self, target: StackTarget) -> OperationResult:
        return self._operate("refresh", target, create=False, action=lambda h: h.preview_refresh())

    def remediate(self, target: StackTarget) -> OperationResult:
        """Revert out-of-band changes: `refresh` first (so the state holds what AWS has), then `up` (which then sees
        the difference to the program and reverts it). An `up` alone compares with the stale state: it changes
        nothing."""
        def refresh_then_up(handle: StackHandle) -> Outcome:
            handle.refresh()
            return handle.up()
        return self._operate("up", target, create=False, action=refresh_then_up)

    def destroy(self, target: StackTarget) -> OperationResult:
        def destroy_and_remove(handle: StackHandle) -> Outcome:
            outcome = handle.destroy()
            handle.remove()
            return outcome
        return self._operate("destroy", target, create=False, action=destroy_and_remove)

    def forget(self, target: StackTarget) -> OperationResult:
        def remove(handle: StackHandle) -> Outcome:
            handle.remove()
            return Outcome(summary="stack removed from state; AWS resources kept")
        return self._operate("forget", target, create=False, action=remove)

    def cancel(self, target: StackTarget) -> OperationResult:
        from pulumi.automation import errors as auto_errors

        handle = self.workspace.open(self.request(target), create=False)
        if handle is None:
            return OperationResult("up", summary="no stack: nothing to cancel")
        try:
            handle.cancel()
        except auto_errors.CommandError as exc:  # e.g. no update in progress: the interrupt already ended it
            return OperationResult("up", summary=f"cancel: {_tail(str(exc))}")
        return OperationResult("up", summary="update cancelled")

    def request(self, target: StackTarget, stack: str | None = None) -> StackRequest:
        stack = stack or target.stack_name
        base = self.settings.state_dir / stack
        config = dict(self.settings.stack_config)
        if target.region:
            config["aws:region"] = target.region
        env = {"PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_SKIP_CONFIRMATIONS": "true"}
        if self.settings.backend_url:
            env["PULUMI_BACKEND_URL"] = self.settings.backend_url
        if self.settings.passphrase_file:
            env["PULUMI_CONFIG_PASSPHRASE_FILE"] = self.settings.passphrase_file
        return StackRequest(stack_name=stack, project_name=self.settings.project_name,
                            document=target.document, config=config, env=env, work_dir=str(base / "work"),
                            pulumi_home=str(base / "home"), secrets_provider=self.settings.secrets_provider,
                            backend_url=self.settings.backend_url, program_settings=self.settings.program_settings)

    def _operate(self, op: OperationType, target: StackTarget, *, create: bool,
                 action: Callable[[StackHandle], Outcome]) -> OperationResult:
        if self.workspace.requires_cli and shutil.which("pulumi") is None:
            raise PermanentDriverError(CLI_MISSING)
        from pulumi.automation import errors as auto_errors

        cancelled = False
        while True:
            handle: StackHandle | None = None
            try:
                self._migrate(target)
                handle = self.workspace.open(self.request(target), create=create)
                if handle is None:
                    return self._no_stack(op, target)
                outcome = action(handle)
                return OperationResult(op, outcome.update_id, outcome.outputs, outcome.summary, outcome.changes)
            except auto_errors.ConcurrentUpdateError as exc:
                if not cancelled and handle is not None and self._lock_is_stale(handle, str(exc)):
                    logger.warning("stack %s: cancelling a stale update older than %ss, then retrying",
                                   target.stack_name, self.settings.update_timeout_seconds)
                    handle.cancel()
                    cancelled = True
                    continue
                suffix = " (a stale lock was already cancelled once)" if cancelled else ""
                raise TemporaryDriverError(f"stack {target.stack_name} is locked by another update{suffix}") from None
            except auto_errors.StackNotFoundError:
                if op == "up":
                    raise TemporaryDriverError(f"stack {target.stack_name} vanished during the update") from None
                return self._no_stack(op, target)
            except auto_errors.CommandError as exc:
                raise classify_command_error(exc) from None
            except FileNotFoundError as exc:
                if self.workspace.requires_cli and "pulumi" in str(exc):
                    raise PermanentDriverError(CLI_MISSING) from None
                raise

    def _no_stack(self, op: OperationType, target: StackTarget) -> OperationResult:
        """No stack in the backend. Only an honest "nothing to do" when status never recorded a successful up."""
        if op == "destroy" and target.must_exist:
            raise MissingStackError(
                f"stack {target.stack_name} is not in the state backend {self.settings.backend_url or '(default)'}, "
                "but status records a successful up: its AWS resources may still exist. Point the operator at the "
                "backend holding the stack; the finalizer stays until the destroy succeeds")
        return OperationResult(op, summary="no stack: nothing to do")

    def _migrate(self, target: StackTarget) -> None:
        """Rename a legacy-named stack to the target's identity once; a no-op when it is gone or already moved."""
        legacy = target.migrate_from
        if legacy is None or legacy == target.stack_name:
            return
        old = self.workspace.open(self.request(target, legacy), create=False)
        if old is None:
            return
        if self.workspace.open(self.request(target), create=False) is not None:
            logger.warning("stack %s: both the legacy stack %s and the new one exist; using the new one",
                           target.stack_name, legacy)
            return
        logger.info("renaming legacy stack %s to %s", legacy, target.stack_name)
        old.rename(target.stack_name)

    def _lock_is_stale(self, handle: StackHandle, message: str) -> bool:
        """Older than the update timeout, by the lock's own time (DIY backends) or the running update's start; or
        held by this operator's user where that holder is gone: a process of this host that no longer runs, or
        another host — an earlier operator pod (pods never come back under the same name) — once the cancel grace
        period it had to stop has passed. Another user's lock (someone's laptop) only ever goes by age."""
        started = _lock_time(message)
        if started is None:
            latest = handle.latest_update()
            if latest is None or latest.result != "in-progress":
                return False
            started = latest.start_time
        if started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        age = (self.clock() - started).total_seconds()
        holder = _LOCK_HOLDER.search(message)
        if holder is not None and holder.group(1) == getpass.getuser():
            host, pid = holder.group(2), int(holder.group(3))
            if host == socket.gethostname() and not _process_alive(pid):
                return True
            if host != socket.gethostname() and age > self.settings.cancel_grace_seconds:
                return True
        return age > self.settings.update_timeout_seconds


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _lock_time(message: str) -> datetime | None:
    match = _LOCK_TIME.search(message)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
    except ValueError:
        return None


def classify_command_error(exc: Exception) -> DriverError:
    """Map a Pulumi CommandError to temporary or permanent by its kind and output (see the marker lists)."""
    from pulumi.automation import errors as auto_errors

    text = str(exc)
    detail = _tail(text)
    if bucket := _BUCKET_NOT_EMPTY.search(text):
        name = bucket.group(1) or "the results bucket"
        return BucketNotEmptyError(
            f"{name} still holds monitoring results, and deletionPolicy Delete never deletes them: empty it "
            f"(aws s3 rm s3://{name} --recursive, versions included) or move them; the destroy is retried until then. "
            f"{detail}")
    if any(marker in text for marker in _PROPAGATION_MARKERS):
        return PropagationError(f"an IAM role is not assumable yet (IAM changes take seconds to propagate): {detail}")
    if any(marker in text for marker in _NETWORK_MARKERS):
        return TemporaryDriverError(f"network or throttling trouble: {detail}")
    if isinstance(exc, auto_errors.InlineSourceRuntimeError | auto_errors.CompilationError):
        return PermanentDriverError(f"the Pulumi program failed: {detail}")
    if any(marker in text for marker in _PERMANENT_MARKERS):
        return PermanentDriverError(f"AWS rejected the request: {detail}")
    return TemporaryDriverError(f"pulumi failed: {detail}")


def _tail(text: str) -> str:
    """The end of a CLI error (where the reason is), whitespace-collapsed and bounded."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_TEXT else "…" + text[-MAX_ERROR_TEXT:]


def prepare_dirs(request: StackRequest, plugins_dir: Path | None) -> None:
    """Per-stack work dir and PULUMI_HOME; the image's pre-installed plugins are linked, not re-downloaded."""
    Path(request.work_dir).mkdir(parents=True, exist_ok=True)
    home = Path(request.pulumi_home)
    home.mkdir(parents=True, exist_ok=True)
    link = home / "plugins"
    if plugins_dir is not None and not link.exists():
        link.symlink_to(plugins_dir, target_is_directory=True)
