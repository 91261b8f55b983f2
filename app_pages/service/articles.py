"""Canned answers and articles: the ready answers agents insert into replies and the
knowledge-base articles (public ones make the FAQ), written and edited by managers."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import ArticleKind, Entity, Language, TicketCategory
from crm_core.service import articles
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.i18n import t
from ui.labels import formatter, option
from ui.plain import plain

FORM = "articles"
NEW = 0


def render() -> None:
    actor = require_page("service-articles")
    st.title(t("Canned answers and articles"))
    st.caption(
        t(
            "Agents see those of a ticket's category (and those for any category) beside "
            "their reply and insert one with a click. Public articles make the FAQ page that "
            "customers open without signing in."
        )
    )
    with read_scope() as session:
        listed = articles.list_articles(session, actor)
    names = {NEW: t("(a new one)")}
    row: Any
    for row in listed.itertuples():
        names[int(row.id)] = f"{option(ArticleKind, row.kind)} · {row.title}"
    chosen = st.selectbox(
        t("Edit"), list(names), format_func=lambda i: names[i], key=f"{FORM}-pick"
    )
    current = listed[listed["id"] == chosen].iloc[0] if chosen != NEW else None
    if allowed(actor, Entity.ARTICLE, Action.UPDATE):
        _form(actor, chosen, current)
    st.dataframe(
        listed.assign(
            kind=listed["kind"].map(lambda k: option(ArticleKind, k)),
            category=listed["category"].map(lambda c: option(TicketCategory, c)),
        )[["kind", "title", "category", "public"]],
        hide_index=True,
        width="stretch",
        column_config={
            "kind": t("Kind"),
            "title": t("Title"),
            "category": t("Category"),
            "public": st.column_config.CheckboxColumn(t("Public")),
        },
        placeholder="–",
    )


def _form(actor: Actor, chosen: int, current: Any) -> None:
    key = f"{FORM}-{chosen}"
    # The version (and the texts) the form was opened at, kept until saved: a save over the
    # version read in the click's own run overwrote a colleague's edit from another tab.
    version, current = _pinned(key, current)
    if forms.feedback(FORM) and st.button(t("Load the latest version"), key=f"{key}-reload"):
        _forget(key)  # drops what was typed: the user's choice, never automatic
        st.rerun()
    kinds = [k.value for k in ArticleKind]
    categories = ["", *[c.value for c in TicketCategory]]
    languages = ["", *[lang.value for lang in Language]]
    with st.form(key):
        kind = st.radio(
            t("Kind"),
            kinds,
            horizontal=True,
            format_func=formatter(ArticleKind),
            index=kinds.index(current["kind"]) if current is not None else 0,
            key=f"{key}-kind",
        )
        title = st.text_input(
            t("Title"), value=current["title"] if current is not None else "", key=f"{key}-title"
        )
        forms.field_error(FORM, "title")
        body = st.text_area(
            t("Text"),
            value=current["body"] if current is not None else "",
            height=200,
            key=f"{key}-body",
        )
        forms.field_error(FORM, "body")
        left, middle, right = st.columns(3)
        category = left.selectbox(
            t("Category"),
            categories,
            format_func=formatter(TicketCategory, t("any")),
            index=categories.index(current["category"] or "") if current is not None else 0,
            key=f"{key}-category",
        )
        language = middle.selectbox(
            t("Language"),
            languages,
            format_func=formatter(Language, t("any")),
            index=languages.index(current["language"] or "") if current is not None else 0,
            key=f"{key}-language",
        )
        public = right.checkbox(
            t("Public (on the FAQ)"),
            value=bool(current["public"]) if current is not None else False,
            key=f"{key}-public",
        )
        save = st.form_submit_button(t("Save"), type="primary")
    data = {
        "kind": kind,
        "title": title,
        "body": body,
        "category": category or None,
        "language": language or None,
        "public": public,
    }
    if save:
        if current is None:
            done = forms.submit(
                FORM, lambda s: articles.create_article(s, actor, data), t("Saved.")
            )
        else:
            done = forms.submit(
                FORM,
                lambda s: articles.update_article(s, actor, chosen, version, data),
                t("Saved."),
            )
        if done:  # a new one's form emptied (it kept the text, ready to be saved twice)
            _forget(key, keep_outcome=True)
        st.rerun()  # either way: the outcome is drawn above the form, by the next run
    deletable = current is not None and allowed(actor, Entity.ARTICLE, Action.DELETE)
    if deletable and st.button(
        t("Delete {title}", title=plain(current["title"])), key=f"{key}-delete"
    ):
        if forms.submit(
            FORM, lambda s: articles.delete_article(s, actor, chosen, version), t("Deleted.")
        ):
            st.session_state.pop(f"{FORM}-pick", None)
        st.rerun()


def _pinned(key: str, current: Any) -> tuple[int, Any]:
    if current is None:
        return 0, None
    version, held = forms.pinned(key, int(current["version"]), dict(current))
    return version, held


def _forget(key: str, *, keep_outcome: bool = False) -> None:
    """The pinned version and the boxes' texts of this form, so it shows the stored one."""
    forms.unpin(key)
    if not keep_outcome:
        forms.clear(FORM)
    for stale in [k for k in st.session_state if str(k).startswith(f"{key}-")]:
        del st.session_state[stale]
