"""Accounts: every company we sell to, searched and filtered; a click opens its own 360."""

from __future__ import annotations

import zlib

import streamlit as st

from crm_core.customers import accounts
from crm_core.customers.accounts import AccountFilter
from ui import lists
from ui.auth import require_page
from ui.db import read_scope
from ui.i18n import keep_language, t, tn

PAGE_KEY = "accounts_page"


def render() -> None:
    actor = require_page("accounts")
    lists.restore("accounts")
    st.title(t("Accounts"))
    st.caption(t("The companies we sell to (B2B); their people are customers, linked to them."))
    with read_scope() as session:
        options = accounts.account_filter_options(session)
    query = st.text_input(
        t("Search"), placeholder=t("Part of a name, a website or a city"), key="accounts_q"
    )
    left, middle, right = st.columns(3)
    industries = left.multiselect(
        t("Industry"), options["industries"], key="accounts_industry", placeholder=t("All")
    )
    regions = middle.multiselect(
        t("Region / province"), options["regions"], key="accounts_region", placeholder=t("All")
    )
    owners = dict(options["owners"])
    owner_ids = right.multiselect(
        t("Owner"), list(owners), key="accounts_owner", placeholder=t("All"),
        format_func=keep_language(lambda i: owners.get(i, f"#{i}")),
    )  # fmt: skip
    wanted = AccountFilter(query, tuple(industries), tuple(regions), tuple(owner_ids))
    lists.remember("accounts", ("accounts_q", "accounts_industry", "accounts_region",
                                 "accounts_owner", PAGE_KEY))  # fmt: skip
    page = int(st.session_state.get(PAGE_KEY, 1))
    with read_scope() as session:
        found = accounts.list_accounts(session, actor, wanted, page - 1)
    st.caption(
        t(
            "{matches}. Select a row to open the account.",
            matches=tn("{n:n} account matches", "{n:n} accounts match", found.total),
        )
    )
    if found.rows.empty:
        filtered = query or industries or regions or owner_ids
        empty = t("No accounts yet: an account is created from a customer's Account tab.")
        st.info(t("No account matches.") if filtered else empty)
        return
    table = st.dataframe(
        found.rows.drop(columns=["version"]),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"accounts_table_{zlib.crc32(repr((wanted, page)).encode())}",
        column_config={
            "id": "ID",
            "name": t("Company name"),
            "industry": t("Industry"),
            "city": t("City"),
            "region": t("Region / province"),
            "owner": t("Owner"),
            "contacts": st.column_config.NumberColumn(t("Contacts"), format="%d"),
        },
        placeholder="–",
    )
    pages = max(1, -(-found.total // accounts.ACCOUNT_PAGE_SIZE))
    if pages > 1:
        st.number_input(
            t("Page (of {pages:n})", pages=pages), min_value=1, max_value=pages, key=PAGE_KEY
        )
    rows = list(table.selection.rows) if table else []
    if rows:
        lists.open_record("accounts", "account", int(found.rows.iloc[rows[0]]["id"]))
