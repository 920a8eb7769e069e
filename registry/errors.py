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


class IntakeError(DomainError):
    """An intake was refused. `existing_retiree_id` names the record a duplicate ID belongs to."""

    def __init__(
        self, message: str, *, field: str | None = None, existing_retiree_id: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.existing_retiree_id = existing_retiree_id


class ChangeRequestError(DomainError):
    """An information change (maker-checker) was refused: bad new value, four eyes, stale or not pending."""


class SensitiveViewError(DomainError):
    """A full number could not be shown: an unknown field, or no current account to show."""


class ImportBatchError(DomainError):
    """A bulk import refused: an unreadable or empty file, a wrong header, a batch in the wrong state."""


class CertificateError(DomainError):
    """A benefit certificate could not be printed: the retiree has no certificate number yet."""


class SensitiveExportError(DomainError):
    """A download with full numbers was refused: no purpose, an unknown one, or "other" without a reason."""


class RecoveryError(DomainError):
    """A recovery could not be opened or cancelled."""


class FlagError(DomainError):
    """A county flag (人员标记) refused: a bad or duplicate kind, an inactive kind, a flag already set or
    already removed, a person out of scope, or an import file that cannot be confirmed."""


class ExportJobError(DomainError):
    """A background export refused: an unknown kind, a restart of a job that did not die, a file gone."""
