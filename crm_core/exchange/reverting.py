"""Reverting a whole import: the batch's importer undoes its rows, the batch is marked."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm_core.exchange.importing import require_import_right
from crm_core.exchange.registry import importer
from crm_core.kernel import writepath
from crm_core.kernel.errors import CRMError, NotFound
from crm_core.kernel.messages import msg
from crm_core.kernel.permissions import Action, Actor
from crm_core.models import ImportBatch, utcnow
from crm_core.models.enums import AuditAction, Entity


def revert_import(session: Session, actor: Actor, batch_id: int) -> ImportBatch:
    """Undo an import whole: created customers soft-deleted, updated ones restored, created
    orders deleted, each by its importer. Anything changed since the import refuses the
    revert (RevertRefused; nothing is undone)."""
    require_import_right(actor, Action.DELETE, msg("import.revert"))
    batch = session.get(ImportBatch, batch_id, populate_existing=True)
    if batch is None:
        raise NotFound("error.no_import", id=batch_id)
    if batch.reverted_at is not None:
        raise CRMError("import.already_reverted", id=batch_id, at=batch.reverted_at)
    with session.no_autoflush:  # each write flushes itself
        importer(batch.kind).revert(session, actor, batch.report)
    batch.reverted_at = utcnow()
    reverted = {"reverted_at": (None, batch.reverted_at)}
    writepath.record_event(session, actor, Entity.IMPORT, batch.id, AuditAction.DELETE, reverted)
    session.flush()
    return batch
