"""Customers: search and filter every customer, sort and page the list, open one, edit many."""

from __future__ import annotations

import zlib
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.customers import bulk, fields
from crm_core.customers import listing as customer_list
from crm_core.customers.listing import CustomerFilter, CustomerPage
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.models.enums import Entity
from ui import cache, nav
from ui.auth import require_page
from ui.db import read_scope, write_scope

PAGE_SIZE = 50
PAGE_KEY = "customers_page"
OUTCOME_KEY = "customers_bulk_outcome"
GENERATION_KEY = "customers_generation"  # bumped after a bulk edit: clears the selection
SEEN_KEY = "customers_seen_versions"
KEEP = "(no change)"
BULK_LABELS = {
    "owner_id": fields.label("owner_id"),
    "lifecycle_stage": fields.label("lifecycle_stage"),
    "add_tag": "Add tag",
    "remove_tag": "Remove tag",
}


def render() -> None:
    actor = require_page("customers")
    st.title("Customers")
    values = cache.customer_values()
    st.caption(_definitions())
    query = st.text_input(
        "Search", placeholder="Part of a name, email, phone or company", key="customers_query"
    )
    with read_scope() as session:
        options = customer_list.filter_options(session, actor)
    flt = _filters(query, options)
    sort_by, descending = _sorting()
    found, page_number = _search(actor, flt, values.frame, sort_by, descending)
    seen = _seen_versions(found)
    chosen = _table(found, page_number, (flt, sort_by, descending))
    _outcome()
    if len(chosen) == 1 and st.button("Open customer", type="primary", key="customers_open"):
        nav.open_page("customer", id=int(chosen["id"].iloc[0]))
    if len(chosen) > 1:
        _bulk_edit(actor, chosen, options, seen)
    _download(actor, flt, values.frame, sort_by, descending, found.total)


def _definitions() -> str:
    settings = cache.value_settings()
    return (
        "**Value tier**: Most Valuable are the most profitable customers who together earn "
        f"{settings.top_profit_share:.0%} of all profit; Below-Zero cost more to serve than "
        "they earn; Most Growable are everyone else. **RFM segment**: how recently, how often "
        "and for how much a customer bought, against all customers. **Net revenue**: "
        "completed orders less discounts, all time. **Profit**: gross margin less the cost to "
        "serve (tickets and touchpoints). **Churn risk**: 0–100 % from inactivity, falling "
        "orders, rising tickets, low satisfaction and missed SLAs over the last "
        f"{settings.churn_window_days} days."
    )


def _filters(query: str, options: dict[str, Any]) -> CustomerFilter:
    owners: dict[int, str] = options["owners"]
    with st.expander("Filters"):
        left, middle, right = st.columns(3)
        tiers = left.multiselect("Value tier", options["value_tiers"], key="customers_f_tier")
        segments = left.multiselect("RFM segment", options["rfm_segments"], key="customers_f_rfm")
        stages = left.multiselect(
            fields.label("lifecycle_stage"), options["lifecycle_stages"], key="customers_f_stage"
        )
        regions = middle.multiselect(
            fields.label("region"), options["regions"], key="customers_f_region"
        )
        cities = middle.multiselect(fields.label("city"), options["cities"], key="customers_f_city")
        industries = middle.multiselect(
            "Industry (of the company)", options["industries"], key="customers_f_industry"
        )
        owner_ids = right.multiselect(
            fields.label("owner_id"),
            list(owners),
            format_func=lambda user_id: owners[user_id],
            key="customers_f_owner",
        )
        tag = right.text_input("Tag", placeholder="e.g. VIP", key="customers_f_tag")
    return CustomerFilter(
        query=query,
        value_tiers=tuple(tiers),
        rfm_segments=tuple(segments),
        lifecycle_stages=tuple(stages),
        regions=tuple(regions),
        cities=tuple(cities),
        industries=tuple(industries),
        owner_ids=tuple(owner_ids),
        tag=tag,
    )


def _sorting() -> tuple[str, bool]:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    sorts = customer_list.sorts()
    sort_by = left.selectbox(
        "Sort by", list(sorts), format_func=lambda sort: sorts[sort], key="customers_sort"
    )
    descending = right.toggle("Highest / last first", key="customers_desc")
    return sort_by, descending


def _search(
    actor: Actor, flt: CustomerFilter, values: pd.DataFrame, sort_by: str, descending: bool
) -> tuple[CustomerPage, int]:
    """One page from the server (never the whole list); back to page 1 when the ask changes."""
    asked = repr((flt, sort_by, descending))
    if st.session_state.get("customers_asked") != asked:
        st.session_state["customers_asked"] = asked
        st.session_state[PAGE_KEY] = 1
    page_number = int(st.session_state.get(PAGE_KEY, 1))
    for _attempt in range(2):
        with read_scope() as session:
            found = customer_list.search_customers(
                session,
                actor,
                flt,
                values,
                sort_by=sort_by,
                descending=descending,
                limit=PAGE_SIZE,
                offset=(page_number - 1) * PAGE_SIZE,
            )
        last = max(1, -(-found.total // PAGE_SIZE))
        if page_number <= last:
            break
        page_number = st.session_state[PAGE_KEY] = last  # the list shrank under this page
    return found, page_number


def _seen_versions(found: CustomerPage) -> dict[int, int]:
    """The versions the user was looking at when they clicked (the previous run's), and
    remember this run's: a bulk edit must not apply over what others saved meanwhile."""
    seen: dict[int, int] = st.session_state.get(SEEN_KEY, {})
    pairs = zip(found.rows["id"], found.rows["version"], strict=True)
    st.session_state[SEEN_KEY] = {int(i): int(v) for i, v in pairs}
    return seen


def _table(found: CustomerPage, page_number: int, asked: tuple[Any, ...]) -> pd.DataFrame:
    """The page as a table with multi-row selection; returns the selected rows."""
    first = (page_number - 1) * PAGE_SIZE
    matches = f"{_customers(found.total)} match" + ("es" if found.total == 1 else "")
    if found.total > PAGE_SIZE:
        matches += f" (showing {first + 1:,}–{first + len(found.rows):,})"
    st.caption(f"{matches}. Select one row to open the customer, several to change them together.")
    generation = st.session_state.setdefault(GENERATION_KEY, 0)
    picked = st.dataframe(
        found.rows.drop(columns=["version"]),
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        # A new list (other filters, page, or saved edits) starts with nothing selected.
        key=f"customers_table_{zlib.crc32(repr((asked, page_number, generation)).encode())}",
        width="stretch",
        column_config=_columns(),
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=PAGE_KEY)
    rows = list(picked.selection.rows) if picked else []
    return found.rows.iloc[rows]


def _columns() -> dict[str, Any]:
    return {
        "id": st.column_config.NumberColumn("ID", format="%d"),
        **customer_list.column_labels(),
        "value_tier": "Value tier",
        "rfm_segment": "RFM segment",
        "net_revenue": st.column_config.NumberColumn("Net revenue", format="localized"),
        "profit": st.column_config.NumberColumn("Profit", format="localized"),
        "last_order_at": st.column_config.DatetimeColumn("Last order", format="YYYY-MM-DD"),
        "churn_risk": st.column_config.ProgressColumn(
            "Churn risk", min_value=0.0, max_value=1.0, format="percent"
        ),
    }


def _bulk_edit(
    actor: Actor, chosen: pd.DataFrame, options: dict[str, Any], seen: dict[int, int]
) -> None:
    if not allowed(actor, Entity.CUSTOMER, Action.UPDATE):
        st.caption(f"Your role ({actor.role.value}) cannot change customers.")
        return
    users: dict[int, str] = options["active_users"]
    stages: list[str] = options["lifecycle_stages"]
    st.subheader(f"Change the {len(chosen)} selected customers")
    st.caption(
        "All or nothing: if any selected customer cannot be changed (someone saved it after "
        "this list loaded, or it is not yours to edit), none is, and each is listed with why."
    )
    with st.form("customers_bulk"):
        owner = st.selectbox(
            BULK_LABELS["owner_id"],
            [None, *users],
            format_func=lambda u: KEEP if u is None else users[u],
            key="customers_bulk_owner",
        )
        stage = st.selectbox(
            BULK_LABELS["lifecycle_stage"],
            [None, *stages],
            format_func=lambda s: s or KEEP,
            key="customers_bulk_stage",
        )
        left, right = st.columns(2)
        add_tag = left.text_input("Add tag", key="customers_bulk_add_tag")
        remove_tag = right.text_input("Remove tag", key="customers_bulk_remove_tag")
        submitted = st.form_submit_button("Apply to the selected customers", type="primary")
    if submitted:
        changes = {
            "owner_id": owner,
            "lifecycle_stage": stage,
            "add_tag": add_tag,
            "remove_tag": remove_tag,
        }
        pairs = zip(chosen["id"], chosen["version"], strict=True)
        targets = [(int(i), seen.get(int(i), int(v))) for i, v in pairs]
        _apply(actor, changes, targets)


def _apply(actor: Actor, changes: dict[str, Any], targets: list[tuple[int, int]]) -> None:
    """One transaction for the whole selection; the outcome is shown after the rerun."""
    try:
        with write_scope() as session:
            result = bulk.bulk_update_customers(session, actor, changes, targets)
    except ValidationError as exc:
        problems = (
            f"{BULK_LABELS.get(f, f.capitalize())} {m}" for f, m in exc.field_errors.items()
        )
        outcome = ("error", "Nothing was changed. " + "; ".join(problems) + ".")
    except CRMError as exc:
        outcome = ("error", f"Nothing was changed. {exc}")
    else:
        if result.skipped:
            listed = "\n".join(f"- {skipped}" for skipped in result.skipped)
            outcome = (
                "error",
                f"Nothing was changed: {len(result.skipped)} of {len(targets)} selected "
                "customers cannot be changed as asked. The list now shows their latest "
                f"versions: check them, or deselect them, and apply again.\n\n{listed}",
            )
        else:
            already = f" ({len(result.unchanged)} were already so)" if result.unchanged else ""
            outcome = ("success", f"Changed {len(result.updated)} customers{already}.")
            st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
    st.session_state[OUTCOME_KEY] = outcome
    st.rerun()


def _outcome() -> None:
    outcome = st.session_state.pop(OUTCOME_KEY, None)
    if outcome is not None:
        kind, message = outcome
        (st.success if kind == "success" else st.error)(message)


def _download(
    actor: Actor,
    flt: CustomerFilter,
    values: pd.DataFrame,
    sort_by: str,
    descending: bool,
    total: int,
) -> None:
    def csv() -> str:
        # Built only when clicked (on Streamlit's download thread): the list may be 100,000 rows.
        with read_scope() as session:
            rows = customer_list.export_rows(
                session, actor, flt, values, sort_by=sort_by, descending=descending
            )
        return safe_csv(rows)

    st.download_button(
        f"Download the filtered list as CSV ({_customers(total)})",
        data=csv,
        file_name="relasi-customers.csv",
        mime="text/csv",
        on_click="ignore",
        disabled=total == 0,
        key="customers_csv",
    )


def _customers(count: int) -> str:
    return "1 customer" if count == 1 else f"{count:,} customers"
