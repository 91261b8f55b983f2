"""Admin › Audit log: who changed what, old -> new, when."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_core.kernel import audit
from crm_core.kernel.csv_files import safe_csv
from crm_core.models.enums import AuditAction, Entity
from crm_core.pages import record_page
from ui import lists
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times
from ui.i18n import keep_language, say, t
from ui.labels import label, option

ENTITIES = ["", *Entity]


def render() -> None:
    actor = require_page("audit")
    st.title(t("Audit log"))
    st.caption(t("Every create, edit, delete, restore, sign-in and sign-out; newest first."))
    entity = st.selectbox(
        t("Record type"),
        ENTITIES,
        format_func=keep_language(lambda e: label(Entity(e)) if e else t("(all)")),
    )
    record_id = st.number_input(t("Record id (0 = all)"), min_value=0, step=1, value=0)
    limit = st.select_slider(t("Entries"), options=[50, 200, 1000], value=200)
    with read_scope() as session:
        entries = audit.history(
            session,
            actor,
            entity=Entity(entity) if entity else None,
            entity_id=int(record_id) or None,
            limit=limit,
        )
    entries["at"] = local_times(entries["at"])
    raw_entities = entries["entity"].copy()
    entries["entity"] = entries["entity"].map(lambda e: t(f"entity.{e}"))
    entries["action"] = entries["action"].map(lambda a: option(AuditAction, a))
    entries["changes"] = entries["changes"].map(say)
    columns = {
        "at": t("When"),
        "actor": t("Who"),
        "entity": t("Record type"),
        "entity_id": t("Record id"),
        "action": t("Action"),
        "changes": t("Changes (old → new)"),
    }
    shown = entries.rename(columns=columns)
    st.caption(t("Click a row of a customer, an account, a lead or a ticket to open it."))
    picked = st.dataframe(
        shown, hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key="audit_rows",
        placeholder="–",
    )  # fmt: skip
    rows = picked.selection.rows if picked else []
    if rows:
        row = entries.iloc[rows[0]]
        target = record_page(raw_entities.iloc[rows[0]])
        if target is not None and pd.notna(row["entity_id"]):
            lists.open_record("audit", target, int(row["entity_id"]))
    st.download_button(t("Download as CSV"), safe_csv(shown), "relasi-audit.csv", "text/csv")
