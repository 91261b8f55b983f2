"""The Sales area's kind of import file, as the registry lists it: leads with their stage
history, and what the Import page asks and says for it."""

from __future__ import annotations

from crm_core.exchange.importing import ImportMode
from crm_core.exchange.registry import Importer, PageHints
from crm_core.kernel.messages import N_, msgn
from crm_core.sales import lead_import

LEADS = Importer(
    lead_import.KIND,
    N_("import_kind.leads"),
    lead_import.LEAD_FIELDS,
    lead_import.preview_leads,
    lead_import.commit_leads,
    lead_import.export_leads,
    lead_import.revert_leads,
    PageHints(
        modes={ImportMode.CREATE_ONLY: N_("import_mode.create_only")},
        summary=lambda counts: msgn("import.count.leads", counts["create"]),
        note=N_(
            "Leads are always created new, owned by the user the owner column names (by "
            "username or email), else by you. A stage is a built-in one or one of the "
            "pipeline's own, by the name a manager gave it. A stage history reads like "
            '"new 2026-01-02; contacted 2026-01-05; won 2026-01-20"; times without an '
            "offset are {zone} time. A lead with the email of a stored lead is skipped as "
            "a duplicate."
        ),
    ),
    write_rows=lead_import.write_leads,
    stale="import.stale_leads",
)
