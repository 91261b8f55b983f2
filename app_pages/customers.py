"""Customers: search by part of a name, email, phone or company; a paged list; open a customer."""

from __future__ import annotations

import streamlit as st

from crm_core import customer_list
from crm_core.exporting import safe_csv
from ui import nav
from ui.auth import require_page
from ui.db import read_scope

PAGE_SIZE = 50


def render() -> None:
    actor = require_page("customers")
    st.title("Customers")
    query = st.text_input(
        "Search", placeholder="Part of a name, email, phone or company", key="customers_query"
    )
    page_number = int(st.session_state.get("customers_page", 1))
    with read_scope() as session:
        found = customer_list.search_customers(
            session, actor, query, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE
        )
    pages = max(1, -(-found.total // PAGE_SIZE))
    st.caption(f"{found.total:,} customers match. Select a row to open the customer.")
    picked = st.dataframe(
        found.rows,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="customers_table",
        width="stretch",
        column_config={"id": st.column_config.NumberColumn("ID", format="%d")},
    )
    left, right = st.columns([1, 3])
    left.number_input(
        f"Page (of {pages})", min_value=1, max_value=pages, key="customers_page", step=1
    )
    right.download_button(
        "Download this page as CSV", safe_csv(found.rows), "relasi-customers.csv", "text/csv"
    )
    if picked and picked.selection.rows:
        nav.open_page("customer", id=int(found.rows.iloc[picked.selection.rows[0]]["id"]))
