"""The one exception an action raises when it refuses: a Russian message, naming the field."""


class Refused(Exception):
    """An action refused its input; nothing was written.

    ``field`` names the form field the message belongs to (None: the form as a whole)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(Exception):
    """The object does not exist or the viewer may not see it: both answer 404."""
