"""The Service area's kind of import file, as the registry lists it: tickets with the moments
they were answered and resolved, and what the Import page asks and says for it."""

from __future__ import annotations

from crm_core.exchange.importing import ImportMode
from crm_core.exchange.registry import Importer, PageHints
from crm_core.kernel.messages import N_, msgn
from crm_core.service import ticket_import

TICKETS = Importer(
    ticket_import.KIND,
    N_("import_kind.tickets"),
    ticket_import.TICKET_FIELDS,
    ticket_import.preview_tickets,
    ticket_import.commit_tickets,
    ticket_import.export_tickets,
    ticket_import.revert_tickets,
    PageHints(
        modes={ImportMode.CREATE_ONLY: N_("import_mode.create_only")},
        summary=lambda counts: msgn("import.count.tickets", counts["create"]),
        match_label=N_("Find each ticket's customer by"),
        note=N_(
            "Tickets are always created new, one per row, with the moments they were "
            "created, first answered and resolved, and due times from today's service "
            "levels. A row of the same customer, subject and creation time as a stored "
            "ticket is skipped. A time without an offset (+07:00) is read as {zone} time."
        ),
    ),
    write_rows=ticket_import.write_tickets,
    stale="import.stale_tickets",
)
