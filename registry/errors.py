"""Domain errors. Services raise them; views and the API turn them into a message for the person."""


class DomainError(Exception):
    """A rule of the business refused the action. The message is for the person who asked (Chinese)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StatusChangeError(DomainError):
    pass


class StaffError(DomainError):
    pass
