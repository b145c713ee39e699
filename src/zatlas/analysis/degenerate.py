"""Latent points an analysis cannot map, said in words before it is tried.

A collapsed encoder, or a data set of copies, gives latent rows that are all one point,
or few distinct points, or no spread along any axis. t-SNE then fails inside its
perplexity search ("Input X contains NaN"), the structure tests on a zero-size array,
UMAP and k-means on fewer points than neighbours or clusters. Each stage asks
`latent_problem` first and, given a reason, writes its outputs as "not run: <reason>",
which the report shows in place of the figure. (Latents from outside zatlas are checked
when they are read in; these are those of the models it trained.)
"""

from __future__ import annotations

import numpy as np


def distinct_rows(x: np.ndarray) -> int:
    """How many different rows x holds (exact equality, by their bytes)."""
    x = np.ascontiguousarray(x)
    if len(x) == 0:
        return 0
    as_bytes = x.view(np.dtype((np.void, x.dtype.itemsize * x.shape[1])))
    return len(np.unique(as_bytes))


# rows per block of the checks: a memory-mapped 1M x 512 z is read through, never copied
BLOCK = 65_536


def latent_problem(x: np.ndarray, need: int, analysis: str) -> str | None:
    """Why `analysis` cannot run on the rows of x (it needs `need` distinct rows), or None."""
    n, d = x.shape
    bad = sum(int((~np.isfinite(x[i : i + BLOCK])).any(axis=1).sum()) for i in range(0, n, BLOCK))
    if bad:
        return f"{bad} of the {n:,} latent rows hold NaN or infinity"
    if n and not (x.max(axis=0) > x.min(axis=0)).any():
        return (
            f"all {n:,} latent rows are one point (no spread along any of the {d} axes): the "
            "encoder maps every image to the same z (a collapsed model, or images all alike)"
        )
    # enough distinct rows among the first block settles it without sorting all of x
    if distinct_rows(x[:BLOCK]) >= need:
        return None
    distinct = distinct_rows(x)
    if distinct < need:
        return (
            f"only {distinct:,} distinct latent rows of {n:,} (the rest are copies); "
            f"{analysis} needs at least {need:,}"
        )
    return None
