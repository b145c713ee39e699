"""Data acquisition (CelebA or synthetic faces in CelebA's layout) and preparation."""
