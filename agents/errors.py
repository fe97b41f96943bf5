"""Errors a person can act on: what failed, where, and which setting to change."""


class ModelError(RuntimeError):
    """A model call failed; the message names the endpoint and the setting to change."""


class ModelUnavailable(ModelError):
    """The model endpoint could not be reached, refused the key, or timed out."""


class ModelReplyInvalid(ModelError):
    """The model answered, but not in the structure asked for (after retries)."""
