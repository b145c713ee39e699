"""The one exception type for errors a user can cause and fix."""


class ZatlasError(Exception):
    """A problem with the user's config, data or environment; the message says what to do."""


class ConfigError(ZatlasError):
    """The config is invalid; the message names the key."""
