"""The public FAQ: the knowledge-base articles marked public, by category, open to anyone."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm_core.models.enums import TicketCategory
from crm_core.service import articles
from ui import cache
from ui.db import read_scope
from ui.i18n import language, t
from ui.labels import option
from ui.plain import plain


def render() -> None:
    st.title(t("Frequently asked questions"))
    st.caption(
        t("Answers from the {company} team.", company=plain(cache.team_settings().company_name))
    )
    with read_scope() as session:
        faq = articles.public_faq(session, language())
    if faq.empty:
        st.info(t("No questions answered here yet."))
        return
    row: Any
    for category, group in faq.groupby(faq["category"].fillna(""), sort=False):
        heading = option(TicketCategory, category) if category else t("General")
        st.subheader(heading[:1].upper() + heading[1:])
        for row in group.itertuples():
            with st.expander(plain(row.title)):
                st.text(row.body)
