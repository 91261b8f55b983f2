"""The errors of the write path: each carries a message code with its parameters (which the
page shows in its reader's language) and reads in English as `str(exc)`, for logs and the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crm_core.kernel.messages import N_, Message, as_message, render


class CRMError(Exception):
    """Base of every error a page shows to its user."""

    def __init__(self, message: Message | str, /, **params: Any) -> None:
        self.message = Message(message, params) if isinstance(message, str) else message
        super().__init__(render(self.message))

    @property
    def code(self) -> str:
        return self.message.code

    @property
    def params(self) -> Mapping[str, Any]:
        return self.message.params


class ValidationError(CRMError):
    """Bad input: one message per field; nothing was written."""

    def __init__(self, field_errors: Mapping[str, Message | str]) -> None:
        self.field_errors: dict[str, Message] = {
            field: as_message(problem) for field, problem in field_errors.items()
        }
        listed = [
            Message(N_("error.field"), {"field": f, "problem": m})
            for f, m in self.field_errors.items()
        ]
        super().__init__(Message(N_("error.please_correct"), {"fields": listed}))

    def texts(self, language: str = "en") -> dict[str, str]:
        """Each field's message in `language` (English: tests, logs and the command line)."""
        return {f: render(m, language) for f, m in self.field_errors.items()}


class PermissionDenied(CRMError):
    """The acting user's role or scope does not allow this; nothing was written."""


class NotFound(CRMError):
    """The record does not exist, or was deleted."""


class ConflictError(CRMError):
    """Someone saved the record after this user read it; nothing was overwritten."""

    def __init__(
        self,
        entity: str,
        changed_by: str | None,
        changed_at: datetime | None,
        record_id: int | None = None,
    ) -> None:
        self.entity = entity
        self.changed_by = changed_by
        self.changed_at = changed_at
        who: Any = changed_by or Message(N_("error.conflict.someone"))
        thing = Message(f"entity.{entity}")
        if record_id is not None:  # one of several records: "This order #5 was changed"
            thing = Message(N_("entity.numbered"), {"entity": thing, "id": record_id})
        if changed_at is None:
            super().__init__(N_("error.conflict"), entity=thing, who=who)
        else:
            super().__init__(N_("error.conflict.at"), entity=thing, who=who, at=changed_at)
