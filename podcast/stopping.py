"""Stopping at once on Ctrl-C. Python delivers the interrupt to the main thread only; the
worker threads of a build (episodes, a multitrack premix's tracks) would go on with their
numpy work and ffmpeg processes, and the main thread would wait for them. Here the main
thread, interrupted, kills every ffmpeg the build started and tells the workers to stop,
without waiting for them: they raise `Stopped` at their next `check`."""

from __future__ import annotations

import subprocess
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
WAKE_S = 0.1  # how often a main thread waiting for workers looks for an interrupt

_stop = threading.Event()
_lock = threading.Lock()
_running: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()


class Stopped(KeyboardInterrupt):
    """Raised in a worker thread once the build it works for was interrupted."""


def begin() -> None:
    """A new build or check starts: nothing is stopped (an interrupted one may have been)."""
    _stop.clear()


def stop() -> None:
    """The build was interrupted: workers stop at their next `check`, processes are killed."""
    _stop.set()
    with _lock:
        running = list(_running)
    for process in running:
        if process.poll() is None:
            process.kill()


def check() -> None:
    """Raise Stopped in a worker whose build was interrupted."""
    if _stop.is_set():
        raise Stopped()


def started(process: subprocess.Popen[bytes]) -> None:
    """Note a process the build started, to kill it if interrupted (at once if already)."""
    with _lock:
        _running.add(process)
    if _stop.is_set():
        process.kill()
        raise Stopped()


@contextmanager
def worker_pool(workers: int, prefix: str = "") -> Iterator[ThreadPoolExecutor]:
    """A thread pool that is waited for when its work ends or fails, but not when the main
    thread is interrupted: then everything stops (`stop`) and the interrupt goes on at once."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=prefix)
    try:
        yield pool
    except KeyboardInterrupt:
        stop()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def mapped(
    pool: ThreadPoolExecutor, work: Callable[[_Item], _Result], items: Iterable[_Item]
) -> list[_Result]:
    """`work` done on each of `items` in `pool`, the results in order (as `pool.map`), the
    waiting thread woken every WAKE_S: a Ctrl-C the system handed to a worker thread reaches
    the main thread only when it runs again (a multitrack build waited 6-8 s for its decoding
    to end, under load)."""
    futures: list[Future[_Result]] = [pool.submit(work, item) for item in items]
    pending: set[Future[_Result]] = set(futures)
    while pending:
        _, pending = wait(pending, timeout=WAKE_S, return_when=FIRST_EXCEPTION)
        if any(f.done() and f.exception() is not None for f in futures):
            break
    return [future.result() for future in futures]
