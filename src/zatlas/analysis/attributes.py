"""Do k-means clusters of z match the CelebA attributes? Normalized mutual information.

The blog guessed that ~40 clusters might match the 40 labels. NMI between the k-means
labels (k = 40 by default) and each binary attribute answers it per attribute; AMI
(adjusted for chance) is reported beside it, since NMI of k = 40 random clusters with a
binary label is not 0 on a finite sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

from zatlas.analysis import kmeans


def kmeans_labels(z: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Cluster of every point, from the study's one k-means fit (analysis.kmeans)."""
    x = np.ascontiguousarray(z, dtype=np.float32)
    centres, _, _ = kmeans.fit_kmeans(x, k, seed)
    return kmeans.labels_of(x, centres)


def attribute_nmi(labels: np.ndarray, attributes: pd.DataFrame) -> pd.DataFrame:
    """One row per attribute column: NMI, AMI, share of positives (NaN for a category),
    number of classes; sorted by NMI. A category (strings) is one multi-class label."""
    rows = []
    for name in attributes.columns:
        values = attributes[name].to_numpy()
        numeric = pd.api.types.is_numeric_dtype(attributes[name])
        rows.append(
            {
                "attribute": name,
                "nmi": float(normalized_mutual_info_score(values, labels)),
                "ami": float(adjusted_mutual_info_score(values, labels)),
                "positive_share": float((values > 0).mean()) if numeric else np.nan,
                "n_classes": int(pd.Series(values).nunique()),
            }
        )
    return pd.DataFrame(rows).sort_values("nmi", ascending=False, ignore_index=True)
