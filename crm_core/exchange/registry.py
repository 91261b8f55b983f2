"""The importer of each kind of file (customers, orders): its fields, preview, commit, export
and revert. The areas declare theirs; `crm_core.wiring` lists them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from sqlalchemy.orm import Session

from crm_core.exchange.importing import ImportKind, one_commit_at_a_time


@dataclass(frozen=True)
class Importer:
    fields: Any  # field name -> label and header synonyms, as suggest_mapping reads them
    preview: Callable[..., Any]
    commit: Callable[..., Any]
    export: Callable[..., Any]
    revert: Callable[..., None]  # (session, actor, the batch's report); raises RevertRefused

    def write(self, session: Session, *args: Any, **kwargs: Any) -> Any:
        """Commit a preview, the one way pages and the command line import: under the import
        lock, so that the importer's re-planning sees what a concurrent import wrote."""
        one_commit_at_a_time(session)
        return self.commit(session, *args, **kwargs)


def importers() -> Mapping[ImportKind, Importer]:
    # By name, at first use: the framework imports no area; wiring lists the areas' importers.
    return import_module("crm_core.wiring").IMPORTERS  # type: ignore[no-any-return]  # declared in wiring


def importer(kind: ImportKind) -> Importer:
    return importers()[kind]
