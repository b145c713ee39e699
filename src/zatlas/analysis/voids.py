"""Empty regions of a grid that do not touch the window's edge (the holes' building block).

A square window around a round cloud has empty corners in data and null alike: they touch
the window's edge and are never holes. The hole test itself (a smoothed-marginal null,
holes measured in expected points) is in `holes`.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

EIGHT = np.ones((3, 3), dtype=bool)


def enclosed(empty: np.ndarray) -> np.ndarray:
    """Empty cells whose 8-connected empty region does not touch the window's edge.

    `empty` is (grid, grid) or a stack (B, grid, grid) labelled plane by plane.
    """
    stack = empty if empty.ndim == 3 else empty[None]
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = EIGHT
    labels, _ = ndimage.label(stack, structure=structure)
    # labels are unique over the whole stack, so one lookup finds every plane's edge regions
    touching = np.unique(
        np.concatenate([labels[:, [0, -1], :].ravel(), labels[:, :, [0, -1]].ravel()])
    )
    out = stack & ~np.isin(labels, touching[touching > 0])
    return out if empty.ndim == 3 else out[0]
