"""Data: no figure of its own, only the words under its tables in the report."""

# The report's words for this stage (our page and Snakemake's, zatlas.captions): CAPTION
# under every figure without its own, FILE_CAPTIONS by output file stem.
CAPTION = """\
The prepared images: how many, their size and split, the crop, and any corrupt files skipped.
The source of the raw files and their checksums are under Provenance.
"""
