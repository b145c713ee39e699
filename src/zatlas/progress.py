"""Progress bars that stay quiet when nobody watches (logs, CI)."""

from __future__ import annotations

import os
import sys


def progress(iterable, desc: str, total: int | None = None):
    """tqdm on a terminal; in a log file, a line every 10% so long work still shows progress.

    Without tqdm (a bare GPU machine running the device check) the iterable as it is.
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    return tqdm(
        iterable,
        desc=desc,
        total=total,
        disable=None if interactive else False,
        mininterval=0.5 if interactive else 30.0,
        file=sys.stderr,
        dynamic_ncols=True,
    )
