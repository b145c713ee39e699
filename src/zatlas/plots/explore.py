"""Interactive explorer: its pages are drawn by zatlas.explore; these are the words
that introduce them in the report."""

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
The interactive explorer: one page per model with every face of its t-SNE embeddings and PC
planes, drawn with WebGL. Hovering a point shows the face, its image id, split, radius,
k-means cluster and attributes; colour the points by any attribute, cluster, radius or
split; a box or lasso selection shows the selected faces and their count, and selects the
same faces on the model's other views. The folder opens from disk with no network (its
scripts are copied beside the pages); the table says how many faces and sprite sheets it
holds and its size on disk.
"""
