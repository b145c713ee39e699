"""Run a pipeline stage with its output (Python and C++ alike) in the rule's log file."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager

from zatlas.errors import ZatlasError


@contextmanager
def redirect_fds(path: str | os.PathLike | None):
    """Point file descriptors 1 and 2 at `path`, so TensorFlow's C++ logs land there too."""
    if path is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saved = os.dup(1), os.dup(2)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
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
