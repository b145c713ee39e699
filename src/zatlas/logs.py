"""Run a pipeline stage with its output (Python and C++ alike) in the rule's log file.

TensorFlow writes some lines before its logging is set up, so TF_CPP_MIN_LOG_LEVEL cannot
silence them, and writes them twice (two libraries, two copies of its logger). The log
therefore passes through a filter that drops the CUDA probe's complaints on a machine
without an NVIDIA device and every repeat of an informational line; the stage prints one
line saying which devices it uses instead.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

from zatlas.errors import ZatlasError
from zatlas.hardware import nvidia_device_present

# absl's header: severity, date, time, thread id, then "file.cc:line] message"
NATIVE_LINE = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ (\S+:\d+\] .*)$")
CUDA_PROBE = (
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
)
ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called"


class NativeLogFilter:
    """Which lines of a native log to keep: no CUDA-probe noise without an NVIDIA device,
    no repeat of an informational or warning line (its text after the timestamp)."""

    def __init__(self, gpu_present: bool):
        self.gpu_present = gpu_present
        self.seen: set[str] = set()

    def keep(self, line: str) -> bool:
        if line.startswith(ABSL_PREAMBLE):
            return False
        match = NATIVE_LINE.match(line.rstrip("\n"))
        if match is None:
            return True
        severity, text = match.groups()
        if not self.gpu_present and any(probe in text for probe in CUDA_PROBE):
            return False
        if severity in "IW":
            if text in self.seen:
                return False
            self.seen.add(text)
        return True


def _copy_filtered(source: int, target: int, keep) -> None:
    with os.fdopen(source, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            out = b"".join(line + b"\n" for line in lines if keep(line.decode(errors="replace")))
            if out:
                os.write(target, out)
        if pending and keep(pending.decode(errors="replace")):
            os.write(target, pending)


# stderr as it was before redirect_fds pointed it at the log: where `console` also writes
_CONSOLE: list[int] = []


def to_terminal(message: str) -> None:
    """A line for the user's terminal while a stage's output goes to its log (no-op when it
    does not): what a run left out, say, must not be found only by reading logs."""
    if _CONSOLE:
        os.write(_CONSOLE[-1], (message + "\n").encode(errors="replace"))


def console(message: str) -> None:
    """A line for the log (stdout) and the user's terminal."""
    print(message, flush=True)
    to_terminal(message)


@contextmanager
def redirect_fds(path: str | os.PathLike | None):
    """Point file descriptors 1 and 2 at `path` (so TensorFlow's C++ logs land there too),
    through a NativeLogFilter."""
    if path is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    read_end, write_end = os.pipe()
    keep = NativeLogFilter(nvidia_device_present()).keep
    copier = threading.Thread(target=_copy_filtered, args=(read_end, fd, keep), daemon=True)
    copier.start()
    saved = os.dup(1), os.dup(2)
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    _CONSOLE.append(saved[1])
    try:
        yield
    finally:
        _CONSOLE.pop()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)  # closes the pipe's last write ends: the copier sees EOF
        os.dup2(saved[1], 2)
        copier.join(timeout=30)
        for f in (fd, *saved):
            os.close(f)


def run_stage(func: Callable, log: str | None, name: str | None = None, **kwargs):
    """Call one stage; a user error becomes one clear line (in the log and on stderr), exit 1."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    name = name or func.__name__
    try:
        with redirect_fds(log):
            start = time.perf_counter()
            print(f"[zatlas] {name} started", flush=True)
            result = func(**kwargs)
            print(f"[zatlas] {name} done in {time.perf_counter() - start:.1f} s", flush=True)
            return result
    except ZatlasError as exc:
        message = f"zatlas error in {name}: {exc}"
        if log is not None:
            with open(log, "a") as fh:
                fh.write(message + "\n")
        print(message, file=sys.stderr, flush=True)
        raise SystemExit(1) from None
