"""Models zatlas did not train (`type: external`): their latents, ids, metadata and decoder
are read from the user's files, checked when the config is parsed, and brought into
results/<run>/latents/<model>/ by the ingest stage, in place of train -> encode."""
