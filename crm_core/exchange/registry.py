"""The importers of each kind of file (customers, orders, leads...): fields, preview, commit,
export, revert, and what the Import page asks and says for that kind. Each area declares its
own `Importer`; `crm_core.wiring` lists them, and that list is the only place kinds exist."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from sqlalchemy.orm import Session

from crm_core.exchange import chunks
from crm_core.exchange.importing import ImportMode, Progress
from crm_core.kernel.messages import N_, Message


@dataclass(frozen=True)
class PageHints:
    """What the Import page asks and says for a kind, as codes of the catalogues."""

    modes: Mapping[ImportMode, str]  # the modes offered and their labels; one: nothing to ask
    summary: Callable[[Mapping[str, int]], Message]  # what a commit wrote, from the counts
    match_label: str = ""  # the question for the match key; "" when no customer is looked up
    note: str = ""  # how rows are read (a caption; `{zone}` is the team's time zone)
    options: Mapping[str, str] = field(default_factory=dict)  # more yes/no options, by name
    groups_label: str = ""  # when rows group (the lines of one order): the groups' count
    create_label: str = N_("To create")  # the count of rows to create


@dataclass(frozen=True)
class Importer:
    kind: str  # stored on each import batch; also the page's choice
    label: str  # the kind's name, a code of the catalogues
    fields: Any  # field name -> label and header synonyms, as suggest_mapping reads them
    preview: Callable[..., Any]
    commit: Callable[..., Any]
    export: Callable[..., Any]
    revert: Callable[..., None]  # (session, actor, the batch's report); raises RevertRefused
    hints: PageHints
    # (session, actor, batch, rows planned again, the whole preview, undo): one chunk's rows
    # through the write path, gathering into `undo` what revert needs
    write_rows: Callable[..., None] | None = None
    stale: str = ""  # the StalePreview code: "{n:n} rows ... ({rows})" in the kind's words

    def write(
        self,
        session: Session,
        actor: Any,
        preview: Any,
        filename: str,
        progress: Progress | None = None,
        **chunking: Any,
    ) -> Any:
        """Commit a preview, the one way pages and the command line import: in chunks, each
        under the import lock and planned again, so that the re-planning sees what another
        session wrote; `session` is committed after each chunk (crm_core.exchange.chunks)."""
        return chunks.write_in_chunks(session, self, actor, preview, filename, progress, **chunking)


class UnknownKind(LookupError):
    """A kind no area declares (a typo on the command line, an archive of a newer Relasi)."""


def importers() -> Mapping[str, Importer]:
    # By name, at first use: the framework imports no area; wiring lists the areas' importers.
    listed: tuple[Importer, ...] = import_module("crm_core.wiring").IMPORTERS
    return {each.kind: each for each in listed}


def kinds() -> list[str]:
    return list(importers())


def importer(kind: str) -> Importer:
    try:
        return importers()[kind]
    except KeyError:
        raise UnknownKind(kind) from None
