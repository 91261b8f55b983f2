"""Products: the catalogue orders sell from. Search and filter it, add a product, select one
to edit it, retire it (no longer sold or offered, kept on past orders) or bring it back."""

from __future__ import annotations

import zlib
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.customers import products
from crm_core.customers.products import ProductFilter
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import PRODUCT_COSTS, PRODUCT_PRICES, Action, Actor, allowed
from crm_core.models.enums import Entity
from ui import forms, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import money
from ui.i18n import N_, say, t, tn
from ui.plain import plain

PAGE_KEY = "products_page"
NEW = "new-product"
LABELS = {
    "sku": N_("SKU"),
    "name": N_("Product name"),
    "category": N_("Category"),
    "price": N_("Price"),
    "unit_cost": N_("Unit cost"),
}
AMOUNTS = PRODUCT_PRICES + PRODUCT_COSTS  # price, unit_cost, margin


def render() -> None:
    actor = require_page("products")
    st.title(t("Products"))
    st.caption(
        t(
            "The catalogue orders sell from. Margin is the price less the unit cost, per unit. "
            "A retired product stays on past orders but is no longer offered; an orders import "
            "finds products by SKU."
        )
    )
    if allowed(actor, Entity.IMPORT, Action.CREATE):
        nav.link("import", t("Import products from a CSV file"))
    if allowed(actor, Entity.PRODUCT, Action.CREATE):
        with st.expander(t("New product"), icon=":material/add:"):
            _form(actor, None, {})
    query, left = st.columns([2, 1])
    text = query.text_input(t("Search"), placeholder=t("Part of a SKU or a name"), key="products_q")
    with read_scope() as session:
        choices = products.categories(session)
    chosen = left.multiselect(t("Category"), choices, key="products_cat", placeholder=t("All"))
    retired = st.toggle(t("Show retired products"), key="products_retired")
    wanted = ProductFilter(text, tuple(chosen), retired)
    page = int(st.session_state.get(PAGE_KEY, 1))
    with read_scope() as session:
        found = products.list_products(session, actor, wanted, page - 1)
    picked = _table(found, wanted, page)
    if picked is not None:
        st.query_params["id"] = str(picked)  # a link to this product, and Back returns to it
    raw = st.query_params.get("id")
    if raw and raw.isdigit():
        _selected(actor, int(raw))


def _table(found: products.ProductPage, wanted: ProductFilter, page: int) -> int | None:
    """The page of products; the id of the one selected, if any."""
    st.caption(
        t(
            "{matches}. Select a row to edit the product.",
            matches=tn("{n:n} product matches", "{n:n} products match", found.total),
        )
    )
    if found.rows.empty:
        st.info(
            t("No product matches.") if wanted.query or wanted.categories else t("No products yet.")
        )
        return None
    amounts = {c: found.rows[c].map(money) for c in AMOUNTS if c not in found.hidden}
    # an amount this reader may not see is blank from crm_core: its column goes too
    shown = found.rows.drop(columns=["active", "version", *found.hidden]).assign(**amounts)
    labels = {k: t(v) for k, v in LABELS.items()} | {"margin": t("Margin"), "id": "ID"}
    table = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"products_table_{zlib.crc32(repr((wanted, page)).encode())}",
        column_config=labels,
        placeholder="–",
    )
    pages = max(1, -(-found.total // products.PAGE_SIZE))
    if pages > 1:
        st.number_input(
            t("Page (of {pages:n})", pages=pages), min_value=1, max_value=pages, key=PAGE_KEY
        )
    rows = list(table.selection.rows) if table else []
    return int(found.rows["id"].iloc[rows[0]]) if rows else None


def _selected(actor: Actor, product_id: int) -> None:
    try:
        with read_scope() as session:
            product = products.get_product(session, actor, product_id)
            current = products.form_values(product)
            version, active = product.version, product.active
    except CRMError as exc:
        st.warning(say(exc.message))
        return
    st.subheader(plain(t("Product {sku}", sku=current["sku"])))
    if not allowed(actor, Entity.PRODUCT, Action.UPDATE):
        st.caption(t("Managers and admins edit the catalogue."))
        return
    _form(actor, product_id, current, version)
    key = f"product-{product_id}-retire"
    forms.feedback(key)
    label = t("Retire this product") if active else t("Bring this product back")
    if st.button(label, key=f"{key}-v{version}"):
        done = t("Retired.") if active else t("Back in the catalogue.")
        forms.submit(
            key, lambda s: products.set_retired(s, actor, product_id, version, active), done
        )
        st.rerun()


def _form(actor: Actor, product_id: int | None, current: dict[str, Any], version: int = 0) -> None:
    form_key = NEW if product_id is None else f"product-{product_id}"
    read_version, values = forms.pinned(form_key, version, current)
    forms.offer_latest(form_key)
    drawn = f"{form_key}-v{read_version}"  # the version read, then the fresh copy
    prefix = forms.fresh(drawn)
    with st.form(prefix):
        data: dict[str, Any] = {}
        left, right = st.columns(2)
        for i, (field, label) in enumerate(LABELS.items()):
            shown = values.get(field)
            box = left if i % 2 == 0 else right
            with box:
                data[field] = st.text_input(
                    t(label), value="" if shown is None else _plain_number(shown),
                    key=f"{prefix}-{field}",
                )  # fmt: skip
                forms.field_error(form_key, field)
        if st.form_submit_button(
            t("Save product") if product_id else t("Add product"), type="primary"
        ):
            if product_id is None:
                ok = forms.submit(
                    form_key, lambda s: products.create_product(s, actor, data), t("Product added.")
                )
            else:
                ok = forms.submit(
                    form_key,
                    lambda s: products.update_product(s, actor, product_id, read_version, data),
                    t("Saved."),
                )
            if ok:
                forms.unpin(form_key)
                forms.renew(drawn)
            st.rerun()


def _plain_number(value: Any) -> str:
    """A stored amount as a box shows it: 12500 rather than 12500.00 (Rupiah has no cents)."""
    if isinstance(value, str) or pd.isna(value):
        return str(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
