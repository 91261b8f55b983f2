"""The errors of the write path, each with a message a user understands."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime


class CRMError(Exception):
    """Base of every error a page shows to its user."""


class ValidationError(CRMError):
    """Bad input: one clear message per field; nothing was written."""

    def __init__(self, field_errors: Mapping[str, str]) -> None:
        self.field_errors = dict(field_errors)
        listed = "; ".join(f"{field}: {msg}" for field, msg in self.field_errors.items())
        super().__init__(f"Please correct: {listed}")


class PermissionDenied(CRMError):
    """The acting user's role or scope does not allow this; nothing was written."""


class NotFound(CRMError):
    """The record does not exist, or was deleted."""


class ConflictError(CRMError):
    """Someone saved the record after this user read it; nothing was overwritten."""

    def __init__(self, entity: str, changed_by: str | None, changed_at: datetime | None) -> None:
        self.entity = entity
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = changed_by or "someone else"
        when = f" at {changed_at:%Y-%m-%d %H:%M} UTC" if changed_at else ""
        super().__init__(
            f"This {entity} was changed by {who}{when} after you opened it. "
            "Your edits were not saved: reload to see their version, then apply yours again."
        )
