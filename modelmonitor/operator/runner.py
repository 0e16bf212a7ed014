"""Running stack operations off the event loop: one global concurrency bound, a time limit on every operation, and
a clean stop when it is exceeded or the operator shuts down.

- `process` isolation (the real driver): each operation runs in a fresh spawned process that leads its own process
  group, so the Pulumi CLI it starts is in that group too. The Python Automation API cannot cancel an in-flight
  `up`; on a timeout (or at shutdown) the runner sends SIGINT to the group — the CLI's own graceful cancel, which
  lets in-flight resource operations finish —, waits up to the grace period, then SIGKILLs what is left, and runs
  `cancel` on the stack in a fresh process so its lock is released. A worker that dies (OOM-killed, signalled) fails
  only its own operation.
- `thread` isolation (render, fake): a thread cannot be stopped. On a timeout its slot is freed, the stack's update
  is cancelled, and the thread counts as wedged until it returns (`modelmonitor_operations_wedged`, liveness).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from modelmonitor.operator import metrics
from modelmonitor.operator.stacks import DriverError, OperationResult, StackDriver, StackTarget, TemporaryDriverError

logger = logging.getLogger(__name__)

Operation = Literal["up", "destroy", "forget", "detect_drift", "remediate"]


def _call(driver: StackDriver, op: str, target: StackTarget) -> OperationResult:
    method: Callable[[StackTarget], OperationResult] = getattr(driver, op)
    return method(target)


def _worker(connection: Connection, driver: StackDriver, op: str, target: StackTarget) -> None:
    """Entry of an operation's process: lead a process group (the CLI joins it), send back the result or the
    DriverError. Anything else escapes, ends the process non-zero, and the runner reports the worker as dead."""
    os.setpgid(0, 0)
    # The group's SIGINT is meant for the CLI (its graceful cancel): this process waits for the CLI's exit instead.
    signal.signal(signal.SIGINT, lambda *_: None)
    try:
        result: tuple[str, Any] = ("ok", _call(driver, op, target))
    except DriverError as exc:
        result = ("error", exc)
    connection.send(result)
    connection.close()


def _receive(connection: Connection, process: BaseProcess) -> tuple[str, Any] | None:
    """Block until the worker answers or dies (its end of the pipe closes): None when it died without a word."""
    try:
        message: tuple[str, Any] = connection.recv()
    except EOFError:
        return None
    finally:
        process.join(5)
    return message


class OperationRunner:
    """One global bound on concurrent stack operations, each limited to `timeout` seconds."""

    def __init__(self, driver: StackDriver, max_concurrent: int, *, timeout: float = 3600.0,
                 grace: float = 60.0) -> None:
        self.driver = driver
        self.timeout = timeout
        self.grace = grace
        self._max = max_concurrent
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._executor = self._new_thread_pool()
        self._processes: set[BaseProcess] = set()
        self._closing = False
        self._wedged = 0
        self._wedged_lock = threading.Lock()

    @property
    def wedged(self) -> int:
        """Operations past their time limit whose thread has not returned yet."""
        return self._wedged

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def all_wedged(self) -> bool:
        return self._wedged >= self._max

    def _new_thread_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(self._max, thread_name_prefix="stack-op")

    async def run(self, op: Operation, target: StackTarget) -> OperationResult:
        if self._closing:
            raise TemporaryDriverError(f"{op} of stack {target.stack_name} not started: the operator is stopping")
        metrics.QUEUE_DEPTH.inc()
        try:
            await self._semaphore.acquire()
        finally:
            metrics.QUEUE_DEPTH.dec()
        if self._closing:  # stopped while this one waited for a slot
            self._semaphore.release()
            raise TemporaryDriverError(f"{op} of stack {target.stack_name} not started: the operator is stopping")
        started, outcome = time.monotonic(), "error"
        metrics.RUNNING.inc()
        try:
            if self.driver.isolation == "process":
                result = await self._in_process(op, target)
            else:
                result = await self._in_thread(op, target)
            outcome = "ok"
            return result
        except OSError as exc:  # work dir, plugin link or process start-up trouble on this node
            raise TemporaryDriverError(f"{op} of stack {target.stack_name} could not start: {exc}") from None
        finally:
            metrics.RUNNING.dec()
            metrics.OPERATION_SECONDS.labels(op, outcome).observe(time.monotonic() - started)
            self._semaphore.release()

    def _timed_out(self, op: str, target: StackTarget) -> TemporaryDriverError:
        return TemporaryDriverError(f"{op} of stack {target.stack_name} timed out after {self.timeout:g}s: it was "
                                    "interrupted and the stack's update cancelled")

    # --- process isolation ---------------------------------------------------------------------------------------

    async def _in_process(self, op: str, target: StackTarget, *, limit: float | None = None,
                          cancel_on_timeout: bool = True) -> OperationResult:
        # A fresh process per operation: Pulumi's in-process runtime state is global, and inline programs of two
        # stacks must never share it.
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(sender, self.driver, op, target), daemon=False,
                                  name=f"stack-op {op} {target.stack_name}")
        process.start()
        sender.close()
        self._processes.add(process)
        try:
            answer = await asyncio.wait_for(asyncio.to_thread(_receive, receiver, process),
                                            self.timeout if limit is None else limit)
        except TimeoutError:
            await self._stop(process)
            if cancel_on_timeout:
                await self._cancel_update(target)
            raise self._timed_out(op, target) from None
        finally:
            self._processes.discard(process)
        if answer is None:
            raise TemporaryDriverError(f"the {op} worker process of stack {target.stack_name} died "
                                       f"(exit code {process.exitcode})")
        kind, value = answer
        if kind == "error":
            raise value
        result: OperationResult = value
        return result

    async def _stop(self, process: BaseProcess) -> None:
        """SIGINT to the operation's process group (the CLI cancels gracefully), SIGKILL after the grace period."""
        if process.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        await asyncio.to_thread(process.join, self.grace)
        if process.is_alive():
            logger.warning("%s did not stop within %gs of SIGINT: killing it", process.name, self.grace)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.join, 5)

    async def _cancel_update(self, target: StackTarget) -> None:
        """`cancel` on the stack (releases its lock), bounded by the grace period; a failure only logs: the
        stale-lock recovery of the next attempt is the fallback."""
        try:
            if self.driver.isolation == "process":
                await self._in_process("cancel", target, limit=self.grace, cancel_on_timeout=False)
            else:
                loop = asyncio.get_running_loop()
                await asyncio.wait_for(loop.run_in_executor(self._executor, _call, self.driver, "cancel", target),
                                       self.grace)
        except (DriverError, TimeoutError) as exc:
            logger.warning("stack %s: cancelling the interrupted update failed: %s", target.stack_name, exc)

    # --- thread isolation ----------------------------------------------------------------------------------------

    async def _in_thread(self, op: str, target: StackTarget) -> OperationResult:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, _call, self.driver, op, target)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except TimeoutError:
            self._wedge(future)
            # The wedged thread keeps its pool worker: later operations get a fresh pool instead of queueing.
            self._executor.shutdown(wait=False)
            self._executor = self._new_thread_pool()
            await self._cancel_update(target)
            raise self._timed_out(op, target) from None

    def _wedge(self, future: asyncio.Future[OperationResult]) -> None:
        with self._wedged_lock:
            self._wedged += 1
        metrics.WEDGED.inc()

        def returned(done: asyncio.Future[OperationResult]) -> None:
            with self._wedged_lock:
                self._wedged -= 1
            metrics.WEDGED.dec()
            if not done.cancelled():
                done.exception()  # retrieved: its late failure is not an "exception never retrieved" warning

        future.add_done_callback(returned)

    # --- shutdown ------------------------------------------------------------------------------------------------

    def begin_close(self) -> None:
        """Take no new operation (timers and handlers get a temporary error instead of a shut-down pool)."""
        self._closing = True

    async def aclose(self) -> None:
        """Stop taking work, interrupt the running operations' CLIs and wait for them within the grace period."""
        self.begin_close()
        running = list(self._processes)
        for process in running:
            if process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGINT)
        for process in running:
            await asyncio.to_thread(process.join, self.grace)
        self.close()

    def close(self) -> None:
        self.begin_close()
        for process in list(self._processes):
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        self._executor.shutdown(wait=False, cancel_futures=True)
