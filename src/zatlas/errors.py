"""The one exception type for errors a user can cause and fix."""


class ZatlasError(Exception):
    """A problem with the user's config, data or environment; the message says what to do."""


class ConfigError(ZatlasError):
    """The config is invalid; the message names the key."""


def reacquire(raw_file) -> str:
    """The exact way to make `acquire` run again after a raw file was replaced or deleted:
    Snakemake reruns it only when its record, `source.json` beside the raw files, is gone."""
    from pathlib import Path

    record = Path(raw_file).parent / "source.json"
    return (
        f"then delete {record} (or run snakemake with `-R acquire`), so that the acquire "
        "step runs again, and run the workflow again"
    )
