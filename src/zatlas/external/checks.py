"""Content checks of a latent array, streamed in row blocks: non-finite values (rows named),
duplicate rows, a cloud that is one point, constant dimensions. Cached by file identity
(path, size, modification time) so that a 2 GB array is scanned once, not at every parse."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zatlas.external.sources import Source

CACHE = Path(".snakemake") / "zatlas" / "latent-checks.json"
SHOWN = 5


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _rows(rows: list[int], total: int) -> str:
    more = f" and {total - len(rows)} more" if total > len(rows) else ""
    return ", ".join(map(str, rows)) + more


def scan(src: Source) -> Findings:
    """Every problem of the array's values, each message naming the file."""
    out = Findings()
    n, d = src.shape
    bad_rows: list[int] = []
    n_bad = 0
    # two random projections in float64: equal rows hash equal; distinct rows collide with
    # probability ~0 (a duplicate is only ever reported as a warning)
    proj = np.random.default_rng(0).standard_normal((d, 2))
    hashes = np.empty((n, 2), dtype=np.float64)
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    for start, block in src.blocks():
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            where = np.flatnonzero(~finite)
            n_bad += len(where)
            bad_rows += [int(start + i) for i in where[: SHOWN - len(bad_rows)]]
            block = np.where(np.isfinite(block), block, 0.0)
        hashes[start : start + len(block)] = block.astype(np.float64) @ proj
        lo = np.minimum(lo, block.min(axis=0, initial=np.inf))
        hi = np.maximum(hi, block.max(axis=0, initial=-np.inf))
    if n_bad:
        out.errors.append(
            f"{src.label}: {src.path} has NaN or infinite values in {n_bad} row(s): "
            f"rows {_rows(bad_rows, n_bad)} (0-based); remove or fix those rows (and the "
            "matching rows of ids, mu, logvar and metadata)"
        )
        return out
    _, first, counts = np.unique(hashes, axis=0, return_index=True, return_counts=True)
    if len(first) == 1:
        out.errors.append(
            f"{src.label}: {src.path}: all {n} rows are the same point; no analysis of a "
            "spread can run on it"
        )
        return out
    n_dup = int((counts - 1).sum())
    if n_dup:
        rep = int(first[np.argmax(counts)])
        out.warnings.append(
            f"{src.label}: {src.path}: {n_dup} of {n} rows repeat an earlier row (the most "
            f"repeated is row {rep}, {int(counts.max())} times); nearest-neighbour statistics "
            "(structure, intrinsic dimension) count them as distance 0"
        )
    constant = np.flatnonzero(hi == lo)
    if len(constant):
        out.warnings.append(
            f"{src.label}: {src.path}: {len(constant)} of {d} dimensions are constant "
            f"(dimensions {_rows([int(c) for c in constant[:SHOWN]], len(constant))})"
        )
    return out


def _identity(src: Source) -> str:
    st = os.stat(src.path)
    who = f"{src.path.resolve()}|{src.key}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha1(who.encode()).hexdigest()


def cached_scan(src: Source, cache: Path = CACHE) -> Findings:
    """scan(src), remembered under the working directory's .snakemake/ (never beside the
    user's file); a file that changes is scanned again."""
    key = _identity(src)
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if key in known:
        found = Findings(**known[key])
        # the label (config key) may differ between models reading the same file
        return Findings(
            [m.replace("{label}", src.label) for m in found.errors],
            [m.replace("{label}", src.label) for m in found.warnings],
        )
    found = scan(src)
    generic = Findings(
        [m.replace(src.label, "{label}", 1) for m in found.errors],
        [m.replace(src.label, "{label}", 1) for m in found.warnings],
    )
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        known[key] = generic.__dict__
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known))
        tmp.replace(cache)
    except OSError:
        pass  # a read-only working directory only loses the cache
    return found
