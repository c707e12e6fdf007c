"""Run a small graph of ffmpeg processes joined by pipes, with meters reading some of the pipes.

ffmpeg 5 runs its filters and an encoder in one thread, so one ffmpeg that filters, encodes MP3
and writes WAV uses one core. Splitting the work into processes (one filters, one encodes each
lossy rendition, one decodes it again for the meter) and metering in Python threads spreads it
over all cores, and nothing is written to disk twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from podcast import stopping
from podcast.audio.tools import require
from podcast.errors import ToolError
from podcast.programs import last_words


@dataclass
class Pipe:
    """A pipe between processes; `read_end`/`write_end` are file descriptors (or -1 once closed)."""

    read_end: int
    write_end: int

    @classmethod
    def open(cls) -> Pipe:
        read_end, write_end = os.pipe()
        _enlarge(write_end)
        return cls(read_end, write_end)

    def close(self) -> None:
        for fd in (self.read_end, self.write_end):
            if fd >= 0:
                os.close(fd)
        self.read_end = self.write_end = -1


# A megabyte of buffer (instead of 64 KiB) lets the encoder keep working while the process
# feeding it waits for a core, and the other way round.
PIPE_BYTES = 1 << 20


def _enlarge(fd: int) -> None:
    """Ask for a larger pipe buffer; keep the default where the system refuses."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _renice(task: int, nice: int) -> None:
    """Lower the priority of a process or (Linux keeps one per thread) a thread by `nice`;
    threads and processes it starts inherit it."""
    if nice:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, task, os.getpriority(os.PRIO_PROCESS, task) + nice)


def _collect(stream: IO[bytes], into: bytearray) -> None:
    for block in iter(lambda: stream.read1(1 << 16), b""):  # type: ignore[attr-defined]
        into += block
    stream.close()


@dataclass
class Step:
    """One running process of the graph, named by what it does (for error messages)."""

    what: str
    process: subprocess.Popen[bytes]
    # Its standard error, collected by a thread so the process never blocks on it.
    log: bytearray = field(default_factory=bytearray)
    log_reader: threading.Thread | None = None


class ProcessGraph:
    """Start processes and reader threads; wait for all; fail with the first error, naming it."""

    def __init__(self, subject: Path | str, cwd: Path) -> None:
        self.subject = subject
        self.cwd = cwd
        self.steps: list[Step] = []
        self.pipes: list[Pipe] = []
        self.readers: list[tuple[str, threading.Thread, list[Any]]] = []

    def pipe(self) -> Pipe:
        """A new pipe; both ends are closed in this process once every process is started."""
        made = Pipe.open()
        self.pipes.append(made)
        return made

    def start(
        self,
        what: str,
        args: list[str],
        stdin: int | None = None,
        pass_fds: tuple[int, ...] = (),
        capture_stdout: bool = False,
        nice: int = 0,
    ) -> Step:
        """Start `args` (stdin from a pipe's read end, `pass_fds` kept open as pipe:N);
        a positive `nice` lets other processes of the graph go first."""
        try:
            process = subprocess.Popen(
                [require(args[0]), *args[1:]],
                cwd=self.cwd,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=pass_fds,
            )
        except OSError as exc:
            self.abort()
            raise ToolError(f"{self.subject}: cannot run {args[0]}: {exc}") from exc
        step = Step(what, process)
        try:
            stopping.started(process)
        except stopping.Stopped:
            self.steps.append(step)
            self.abort()
            raise
        _renice(process.pid, nice)
        if step.process.stdout is not None:
            _enlarge(step.process.stdout.fileno())
        step.log_reader = threading.Thread(
            target=_collect, args=(step.process.stderr, step.log), daemon=True
        )
        step.log_reader.start()
        self.steps.append(step)
        return step

    def read(
        self, what: str, stream: IO[bytes], consume: Callable[[IO[bytes]], Any], nice: int = 0
    ) -> list[Any]:
        """Run `consume(stream)` in a thread (and the threads it starts at priority `nice`);
        the returned list holds its result when done."""
        box: list[Any] = []

        def work() -> None:
            try:
                _renice(threading.get_native_id(), nice)
                box.append(consume(stream))
            except BaseException as exc:  # reported by wait()
                box.append(exc)
                # Keep reading, so the writer is never left blocked on a full pipe.
                while stream.read(1 << 16):
                    pass
            finally:
                stream.close()

        thread = threading.Thread(target=work, name=what, daemon=True)
        self.readers.append((what, thread, box))
        thread.start()
        return box

    def close_pipes(self) -> None:
        """Drop this process's copies of the pipes, so readers see the end when writers exit."""
        for made in self.pipes:
            made.close()

    def wait(self) -> None:
        """Wait for every process and reader; raise ToolError for the first that failed."""
        self.close_pipes()
        for _, thread, _ in self.readers:
            thread.join()
        failures = []
        for step in self.steps:
            assert step.log_reader is not None
            code = step.process.wait()
            step.log_reader.join()
            if code != 0:
                failures.append(self._failure(step, code))
        # A process whose reader died fails with a broken pipe; report the cause instead.
        causes = [f for f in failures if "broken pipe" not in str(f).lower()]
        if causes or failures:
            raise (causes or failures)[0]
        for what, _, box in self.readers:
            if box and isinstance(box[0], BaseException):
                raise ToolError(f"{self.subject}: {what} failed: {box[0]}") from box[0]

    def logs(self) -> list[str]:
        """What each process wrote to its standard error, in start order (after `wait`)."""
        return [step.log.decode(errors="replace") for step in self.steps]

    def abort(self) -> None:
        """Stop everything (after an error in this process)."""
        for step in self.steps:
            if step.process.poll() is None:
                step.process.kill()
        self.close_pipes()
        for step in self.steps:
            step.process.wait()

    def _failure(self, step: Step, code: int) -> ToolError:
        args = step.process.args
        named = [str(a) for a in args] if isinstance(args, list | tuple) else [str(args)]
        detail = last_words(step.log.decode(errors="replace"), code, named)
        return ToolError(f"{self.subject}: {step.what} failed: {detail}")

    def __enter__(self) -> ProcessGraph:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is not None:
            self.abort()
        for step in self.steps:
            if step.log_reader is not None:
                step.log_reader.join()
