"""Admin › Audit log: who changed what, old -> new, when."""

from __future__ import annotations

import streamlit as st

from crm_core.kernel import audit
from crm_core.kernel.csv_files import safe_csv
from crm_core.models.enums import Entity
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times

ENTITIES = ["(all)", *Entity]


def render() -> None:
    actor = require_page("audit")
    st.title("Audit log")
    st.caption("Every create, edit, delete, restore, sign-in and sign-out; newest first.")
    entity = st.selectbox("Record type", ENTITIES)
    record_id = st.number_input("Record id (0 = all)", min_value=0, step=1, value=0)
    limit = st.select_slider("Entries", options=[50, 200, 1000], value=200)
    with read_scope() as session:
        entries = audit.history(
            session,
            actor,
            entity=None if entity == "(all)" else Entity(entity),
            entity_id=int(record_id) or None,
            limit=limit,
        )
    entries["at"] = local_times(entries["at"])
    st.dataframe(entries, hide_index=True, width="stretch")
    st.download_button("Download as CSV", safe_csv(entries), "relasi-audit.csv", "text/csv")
