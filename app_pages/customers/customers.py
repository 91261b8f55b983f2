"""Customers: search and filter every customer, sort and page the list, save the view, open
one in a click (and come back to the same list), edit many or the whole filtered result,
export it with its value figures."""

from __future__ import annotations

import zlib
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.analytics.rfm import RfmSegment
from crm_core.analytics.value_tiers import ValueTier
from crm_core.customers import bulk, export, fields, views
from crm_core.customers import listing as customer_list
from crm_core.customers.listing import CustomerFilter, CustomerPage
from crm_core.kernel.errors import CRMError, ValidationError
from crm_core.kernel.permissions import Action, Actor, Capability, allowed, may
from crm_core.models.enums import Entity, LifecycleStage
from ui import auth, cache, forms, lists, nav
from ui.auth import require_page
from ui.db import read_scope, write_scope
from ui.format import date_box_format, percent_points, share_bar, when, with_money
from ui.i18n import N_, keep_language, language, say, t, team, tn
from ui.labels import formatter, option, value_words

PAGE_SIZE = 50
PAGE_KEY = "customers_page"
OUTCOME_KEY = "customers_bulk_outcome"
GENERATION_KEY = "customers_generation"  # bumped after a bulk edit: clears the selection
SEEN_KEY = "customers_seen_versions"
PENDING_KEY = "customers_bulk_pending"  # a bulk change waiting for its confirmation
VIEW_KEY = "customers_view"
LIST_KEYS = (
    "customers_query", "customers_f_tier", "customers_f_rfm", "customers_f_stage",
    "customers_f_region", "customers_f_city", "customers_f_industry", "customers_f_owner",
    "customers_f_tag", "customers_f_created", "customers_f_bought", "customers_sort",
    "customers_desc", PAGE_KEY, VIEW_KEY,
)  # fmt: skip
KEEP = N_("(no change)")
BULK_LABELS = {
    "owner_id": fields.label("owner_id"),
    "lifecycle_stage": fields.label("lifecycle_stage"),
    "add_tag": N_("Add tag"),
    "remove_tag": N_("Remove tag"),
    "customers": N_("Customers"),
    "changes": N_("Changes"),
}
VALUE_COLUMNS = {  # the value table's columns beside the declared fields'
    "value_tier": N_("Value tier"),
    "rfm_segment": N_("RFM segment"),
    "net_revenue": N_("Net revenue"),
    "profit": N_("Profit"),
    "last_order_at": N_("Last order"),
    "churn_risk": N_("Churn risk"),
}


def render() -> None:
    actor = require_page("customers")
    lists.restore("customers")
    _from_link()
    st.title(t("Customers"))
    _actions(actor)
    st.caption(_definitions())
    _value_status(cache.value_status())
    with read_scope() as session:
        saved = views.views_for(session, actor)
    _views_bar(saved)
    query = st.text_input(
        t("Search"),
        placeholder=t("Part of a name, email, phone or company"),
        key="customers_query",
    )
    with read_scope() as session:
        options = customer_list.filter_options(session, actor)
    flt = _filters(query, options)
    sort_by, descending = _sorting(actor)
    _save_view(actor, saved, flt, sort_by, descending)
    found, page_number = _search(actor, flt, sort_by, descending)
    lists.remember("customers", LIST_KEYS)
    seen = _seen_versions(found)
    chosen = _table(found, page_number, (flt, sort_by, descending))
    _outcome()
    if len(chosen) == 1 and st.button(t("Open customer"), type="primary", key="customers_open"):
        lists.open_record("customers", "customer", int(chosen["id"].iloc[0]))
    _bulk_edit(actor, chosen, options, seen, flt, found.total)
    _download(actor, flt, sort_by, descending, found.total)


def _actions(actor: Actor) -> None:
    """New customer and, for who may restore them, the recently deleted: one click away."""
    left, right = st.columns(2)
    if allowed(actor, Entity.CUSTOMER, Action.CREATE):
        with left:
            nav.link("customer", t("New customer"))
    if allowed(actor, Entity.CUSTOMER, Action.RESTORE):
        with right:
            nav.link("customer", t("Recently deleted"))


def _views_bar(saved: list[views.SavedView]) -> None:
    by_key = {v.key: v for v in saved}
    if st.session_state.get(VIEW_KEY) not in by_key:  # deleted meanwhile (a shared one)
        st.session_state[VIEW_KEY] = None
    st.selectbox(
        t("Saved view"),
        [None, *by_key],
        key=VIEW_KEY,
        format_func=keep_language(lambda k: t("(none)") if k is None else _view_name(by_key[k])),
        on_change=_apply_view,
        args=(by_key,),
        placeholder=t("(none)"),
    )


def _view_name(view: views.SavedView) -> str:
    if view.label is not None:
        return t(view.label)
    return t("{name} (shared)", name=view.name) if view.shared else str(view.name)


def _apply_view(by_key: dict[str, views.SavedView]) -> None:
    """Put the chosen view's search, filters and sort into the widgets before they are drawn."""
    view = by_key.get(st.session_state.get(VIEW_KEY) or "")
    if view is None:
        return
    _put_filter(view.flt)
    st.session_state.update({"customers_sort": view.sort_by, "customers_desc": view.descending})


def _from_link() -> None:
    """A link from another page (a dashboard figure: its period, region and owner) sets the
    filters it names, the others cleared; the address is then the list's own again."""
    linked = customer_list.filter_from_address(st.query_params.to_dict())
    if linked is None:
        return
    _put_filter(linked)
    st.session_state[VIEW_KEY] = None
    for name in ("region", "owner", "created", "bought"):
        st.query_params.pop(name, None)


def _put_filter(f: CustomerFilter) -> None:
    """Put a filter's search and choices into the widgets before they are drawn."""
    st.session_state.update(
        {
            "customers_query": f.query,
            "customers_f_tier": list(f.value_tiers),
            "customers_f_rfm": list(f.rfm_segments),
            "customers_f_stage": list(f.lifecycle_stages),
            "customers_f_region": list(f.regions),
            "customers_f_city": list(f.cities),
            "customers_f_industry": list(f.industries),
            "customers_f_owner": list(f.owner_ids),
            "customers_f_tag": f.tag,
            "customers_f_created": _days(f.created_between),
            "customers_f_bought": _days(f.bought_between),
            PAGE_KEY: 1,
        }
    )


def _days(span: tuple[str, ...]) -> tuple[date, ...]:
    return tuple(date.fromisoformat(day) for day in span)


def _days_box(column: Any, label: str, key: str, help_text: str) -> Any:
    """A range of days, empty at first. Its emptiness is set in the session, not as the
    box's value, so a filter put there by a saved view or a link draws no warning."""
    st.session_state.setdefault(key, ())
    return column.date_input(label, format=date_box_format(), key=key, help=help_text)


def _span(picked: Any) -> tuple[str, ...]:
    """A date range box's value as the filter keeps it: both days, or nothing yet."""
    if isinstance(picked, tuple | list) and len(picked) == 2:
        return tuple(day.isoformat() for day in picked)
    return ()


def _save_view(
    actor: Actor, saved: list[views.SavedView], flt: CustomerFilter, sort_by: str, desc: bool
) -> None:
    """Save the search, filters and sort under a name (shared with the team by a manager)."""
    current = next((v for v in saved if v.key == st.session_state.get(VIEW_KEY)), None)
    with st.expander(t("Save this view")):
        forms.feedback("customers-views")
        name = st.text_input(
            t("Name of the view"),
            value=current.name if current is not None and current.name else "",
            key="customers_view_name",
        )
        forms.field_error("customers-views", "name")
        share = may(actor, Capability.SHARE_VIEWS) and st.checkbox(
            t("Share with the whole team"), key="customers_view_share"
        )
        left, right = st.columns(2)
        if left.button(t("Save view"), key="customers_view_save"):
            forms.submit(
                "customers-views",
                lambda s: views.save_view(s, actor, name, flt, sort_by, desc, shared=bool(share)),
                t("View saved."),
            )
            st.rerun()
        if (
            current is not None
            and current.name is not None
            and (not current.shared or may(actor, Capability.SHARE_VIEWS))
        ):
            gone, shared = current.name, current.shared
            if right.button(t("Delete view"), key="customers_view_delete"):
                forms.submit(
                    "customers-views",
                    lambda s: views.delete_view(s, actor, gone, shared=shared),
                    t("View deleted."),
                )
                st.session_state.pop(VIEW_KEY, None)
                st.rerun()


def _value_status(status: cache.ValueStatus) -> None:
    """When the figures were computed (they are stored, refreshed in the background)."""
    info = status.refreshed
    if info is None:
        st.info(
            t(
                "The value figures (tier, segment, revenue, profit, churn risk) are being "
                "computed for the first time; they appear here when done. The list works "
                "meanwhile."
            )
            if status.refreshing
            else t("The value figures have not been computed yet; they will be shortly.")
        )
        return
    st.caption(
        t(
            "Value figures as of {at} (computed {done}), refreshed in the background every "
            "15 minutes.",
            at=when(info.as_of),
            done=when(info.finished_at),
        )
    )


def _definitions() -> str:
    settings = cache.value_settings()
    return t(
        "**Value tier**: Most Valuable are the most profitable customers who together earn "
        "{share:.0%} of all profit; Below-Zero cost more to serve than "
        "they earn; Most Growable are everyone else. **RFM segment**: how recently, how often "
        "and for how much a customer bought, against all customers. **Net revenue**: "
        "completed orders less discounts, all time. **Profit**: gross margin less the cost to "
        "serve (tickets and touchpoints). **Churn risk**: 0–100 % from inactivity, falling "
        "orders, rising tickets, low satisfaction and missed SLAs over the last "
        "{days:n} days.",
        share=settings.top_profit_share,
        days=settings.churn_window_days,
    )


def _filters(query: str, options: dict[str, Any]) -> CustomerFilter:
    owners: dict[int, str] = options["owners"]
    with st.expander(t("Filters")):
        left, middle, right = st.columns(3)
        tiers = left.multiselect(
            t("Value tier"),
            options["value_tiers"],
            format_func=formatter(ValueTier),
            key="customers_f_tier",
            placeholder=t("All"),
        )
        segments = left.multiselect(
            t("RFM segment"),
            options["rfm_segments"],
            format_func=formatter(RfmSegment),
            key="customers_f_rfm",
            placeholder=t("All"),
        )
        stages = left.multiselect(
            _label("lifecycle_stage"),
            options["lifecycle_stages"],
            format_func=formatter(LifecycleStage),
            key="customers_f_stage",
            placeholder=t("All"),
        )
        regions = middle.multiselect(
            _label("region"), options["regions"], key="customers_f_region", placeholder=t("All")
        )
        cities = middle.multiselect(
            _label("city"), options["cities"], key="customers_f_city", placeholder=t("All")
        )
        industries = middle.multiselect(
            t("Industry (of the company)"),
            options["industries"],
            key="customers_f_industry",
            placeholder=t("All"),
        )
        owner_ids = right.multiselect(
            _label("owner_id"),
            list(owners),
            format_func=lambda user_id: owners[user_id],
            key="customers_f_owner",
            placeholder=t("All"),
        )
        tag = right.text_input(t("Tag"), placeholder=t("e.g. “VIP”"), key="customers_f_tag")
        created = _days_box(right, t("Created between"), "customers_f_created",
                            t("The first and the last day, both included, in the team's time "
                              "zone."))  # fmt: skip
        bought = _days_box(right, t("Bought between"), "customers_f_bought",
                           t("Customers with a completed order placed on one of these "
                             "days."))  # fmt: skip
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
        created_between=_span(created),
        bought_between=_span(bought),
    )


def _sorting(actor: Actor) -> tuple[str, bool]:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    sorts = {key: t(label) for key, label in customer_list.sorts(actor).items()}
    sort_by = left.selectbox(
        t("Sort by"), list(sorts), format_func=lambda sort: sorts[sort], key="customers_sort"
    )
    descending = right.toggle(t("Highest / last first"), key="customers_desc")
    return sort_by, descending


def _search(
    actor: Actor, flt: CustomerFilter, sort_by: str, descending: bool
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
                sort_by=sort_by,
                descending=descending,
                limit=PAGE_SIZE,
                offset=(page_number - 1) * PAGE_SIZE,
                stored=True,
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
    matches = tn("{n:n} customer matches", "{n:n} customers match", found.total)
    if found.total > PAGE_SIZE:
        shown = t("(showing {first:n}–{last:n})", first=first + 1, last=first + len(found.rows))
        matches = f"{matches} {shown}"
    st.caption(
        t(
            "{matches}. Click a name to open the customer; tick rows to change them together.",
            matches=matches,
        )
    )
    generation = st.session_state.setdefault(GENERATION_KEY, 0)
    picked = st.dataframe(
        with_money(
            percent_points(_labelled(found.rows.drop(columns=["version"])), ["churn_risk"]),
            ["net_revenue", "profit"],
        ),
        hide_index=True,
        on_select="rerun",
        selection_mode=["multi-row", "single-cell"],
        # A new list (other filters, page, or saved edits) starts with nothing selected.
        key=f"customers_table_{zlib.crc32(repr((asked, page_number, generation)).encode())}",
        width="stretch",
        column_config=_columns(),
        placeholder="–",
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    st.number_input(
        t("Page (of {pages:n})", pages=pages), min_value=1, max_value=pages, step=1, key=PAGE_KEY
    )
    clicked = lists.clicked_cell(picked, ["name"])
    if clicked is not None and clicked < len(found.rows):
        lists.open_record("customers", "customer", int(found.rows["id"].iloc[clicked]))
    rows = list(picked.selection.rows) if picked else []
    return found.rows.iloc[rows]


def _labelled(rows: pd.DataFrame) -> pd.DataFrame:
    """Stage, tier and segment in the reader's words (the stored values stay in `found`)."""
    return value_words(rows)


def _columns() -> dict[str, Any]:
    # Amounts are written by the styler of with_money, in the reader's language.
    shown = {**customer_list.column_labels(), **VALUE_COLUMNS}
    labels = {key: t(label) for key, label in shown.items()}
    return {
        **labels,
        "id": st.column_config.NumberColumn("ID", format="%d"),
        "net_revenue": st.column_config.NumberColumn(labels["net_revenue"]),
        "profit": st.column_config.NumberColumn(labels["profit"]),
        "last_order_at": st.column_config.DatetimeColumn(
            labels["last_order_at"], format="YYYY-MM-DD"
        ),
        "churn_risk": share_bar(labels["churn_risk"]),
    }


def _bulk_edit(
    actor: Actor,
    chosen: pd.DataFrame,
    options: dict[str, Any],
    seen: dict[int, int],
    flt: CustomerFilter,
    total: int,
) -> None:
    """One change for the ticked rows or for every customer the filters match (all pages),
    applied after a confirmation that names the count."""
    if not allowed(actor, Entity.CUSTOMER, Action.UPDATE):
        if len(chosen) > 1:
            st.caption(t("Your role ({role}) cannot change customers.", role=actor.role))
        return
    if total == 0 and not st.session_state.get(PENDING_KEY):
        return
    users: dict[int, str] = options["active_users"]
    stages: list[str] = options["lifecycle_stages"]
    which = {"all": tn("All {n:n} customer matching the filters",
                       "All {n:n} customers matching the filters", total)}  # fmt: skip
    if len(chosen):
        which = {"selected": tn("The {n:n} ticked customer", "The {n:n} ticked customers",
                                len(chosen)), **which}  # fmt: skip
    if st.session_state.get("customers_bulk_ticked") != bool(len(chosen)):
        # rows just ticked (or none any more): the change is for them (or for all)
        st.session_state["customers_bulk_ticked"] = bool(len(chosen))
        st.session_state["customers_bulk_scope"] = next(iter(which))
    with st.expander(t("Change many customers at once"), expanded=len(chosen) > 1):
        st.caption(
            t(
                "All or nothing: if any customer cannot be changed (someone saved it after "
                "this list loaded, or it is not yours to edit), none is, and each is listed "
                "with why. At most {max:n} at a time.",
                max=bulk.MAX_TARGETS,
            )
        )
        with st.form("customers_bulk"):
            scope = st.radio(
                t("Change"), list(which), format_func=which.__getitem__, key="customers_bulk_scope"
            )
            owner = st.selectbox(
                _label("owner_id"),
                [None, *users],
                format_func=keep_language(lambda u: t(KEEP) if u is None else users[u]),
                key="customers_bulk_owner",
                placeholder=t(KEEP),
            )
            stage = st.selectbox(
                _label("lifecycle_stage"),
                [None, *stages],
                format_func=keep_language(
                    lambda s: t(KEEP) if s is None else option(LifecycleStage, s)
                ),
                key="customers_bulk_stage",
                placeholder=t(KEEP),
            )
            left, right = st.columns(2)
            add_tag = left.text_input(t("Add tag"), key="customers_bulk_add_tag")
            remove_tag = right.text_input(t("Remove tag"), key="customers_bulk_remove_tag")
            submitted = st.form_submit_button(t("Review the change"), type="primary")
    if submitted:
        changes = {
            "owner_id": owner,
            "lifecycle_stage": stage,
            "add_tag": add_tag,
            "remove_tag": remove_tag,
        }
        if scope == "selected":
            pairs = zip(chosen["id"], chosen["version"], strict=True)
            targets = [(int(i), seen.get(int(i), int(v))) for i, v in pairs]
        else:
            with read_scope() as session:
                targets = customer_list.matching_versions(session, actor, flt)
        st.session_state[PENDING_KEY] = {"changes": changes, "targets": targets}
        st.rerun()
    _confirm(actor)


def _confirm(actor: Actor) -> None:
    """The pending bulk change (under the form that asked it), to confirm or cancel."""
    pending = st.session_state.get(PENDING_KEY)
    if not pending:
        return
    count = len(pending["targets"])
    st.warning(
        tn(
            "Change {n:n} customer? The versions read now are the ones changed: anyone "
            "saving one of them meanwhile stops the whole change.",
            "Change {n:n} customers? The versions read now are the ones changed: anyone "
            "saving one of them meanwhile stops the whole change.",
            count,
        )
    )
    left, right = st.columns(2)
    if left.button(
        tn("Yes, change {n:n} customer", "Yes, change {n:n} customers", count),
        type="primary",
        key="customers_bulk_confirm",
    ):
        st.session_state.pop(PENDING_KEY, None)
        _apply(actor, pending["changes"], pending["targets"])
    if right.button(t("Cancel"), key="customers_bulk_cancel"):
        st.session_state.pop(PENDING_KEY, None)
        st.rerun()


def _apply(actor: Actor, changes: dict[str, Any], targets: list[tuple[int, int]]) -> None:
    """One transaction for the whole selection; the outcome is shown after the rerun."""
    try:
        with write_scope() as session:
            result = bulk.bulk_update_customers(session, actor, changes, targets)
    except ValidationError as exc:
        problems = "; ".join(
            t("{field} {problem}", field=t(BULK_LABELS.get(f, f)), problem=say(m))
            for f, m in exc.field_errors.items()
        )
        outcome = ("error", t("Nothing was changed. {problems}.", problems=problems))
    except CRMError as exc:
        outcome = ("error", t("Nothing was changed. {reason}", reason=say(exc.message)))
    else:
        if result.skipped:
            listed = "\n".join(f"- {_skipped(skipped)}" for skipped in result.skipped)
            outcome = (
                "error",
                t(
                    "Nothing was changed: {skipped:n} of {selected:n} selected "
                    "customers cannot be changed as asked. The list now shows their latest "
                    "versions: check them, or deselect them, and apply again.",
                    skipped=len(result.skipped),
                    selected=len(targets),
                )
                + f"\n\n{listed}",
            )
        else:
            changed = tn("Changed {n:n} customer.", "Changed {n:n} customers.", len(result.updated))
            if result.unchanged:
                already = len(result.unchanged)
                changed += " " + tn("({n:n} was already so.)", "({n:n} were already so.)", already)
            outcome = ("success", changed)
            st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
    st.session_state[OUTCOME_KEY] = outcome
    st.rerun()


def _skipped(skipped: bulk.Skipped) -> str:
    who = f"#{skipped.customer_id}" + (f" {skipped.name}" if skipped.name else "")
    return f"{who}: {say(skipped.reason)}"


def _outcome() -> None:
    outcome = st.session_state.pop(OUTCOME_KEY, None)
    if outcome is not None:
        kind, message = outcome
        (st.success if kind == "success" else st.error)(message)


def _download(
    actor: Actor,
    flt: CustomerFilter,
    sort_by: str,
    descending: bool,
    total: int,
) -> None:
    """The whole filtered list as a file a spreadsheet opens right, with the value figures
    (their amounts only where the reader may read them) if asked."""
    left, right = st.columns(2)
    with_values = left.toggle(t("With the value figures"), value=True, key="customers_csv_values")
    separators = {",": t("Comma (,)"), ";": t("Semicolon (;)")}
    ours = export.separator_for(language())
    separator = right.selectbox(
        t("Separator (your language: {separator})", separator=separators[ours]),
        list(separators),
        index=list(separators).index(ours),
        format_func=separators.__getitem__,
        key="customers_csv_separator",
    )
    headers = {
        **{key: t(label) for key, label in customer_list.column_labels().items()},
        **{key: t(label) for key, label in export.VALUE_COLUMNS.items()},
        "id": "ID",
    }
    zone = team().time_zone
    words = _choice_words()  # said now: the file is built on another thread

    def csv() -> bytes:
        # Built only when clicked (on Streamlit's download thread): the list may be 100,000 rows.
        with read_scope() as session:
            rows = export.export_frame(
                session, actor, flt, sort_by=sort_by, descending=descending,
                with_values=with_values,
            )  # fmt: skip
        return export.spreadsheet_csv(_labelled_export(rows, words), headers, zone=zone,
                                      separator=separator)  # fmt: skip

    st.download_button(
        t("Download the filtered list as CSV ({customers})", customers=_customers(total)),
        data=auth.deferred(csv),
        file_name="relasi-customers.csv",
        mime="text/csv",
        on_click="ignore",
        disabled=total == 0,
        key="customers_csv",
    )


def _choice_words() -> dict[str, dict[str, str]]:
    """Stage, tier and segment values in the reader's words, by column."""
    kinds: dict[str, Any] = {
        "lifecycle_stage": LifecycleStage, "value_tier": ValueTier, "rfm_segment": RfmSegment,
    }  # fmt: skip
    return {
        column: {v.value: option(kind, v.value) for v in kind} for column, kind in kinds.items()
    }


def _labelled_export(rows: pd.DataFrame, words: dict[str, dict[str, str]]) -> pd.DataFrame:
    shown = rows.copy()
    for column, said in words.items():
        if column in shown:
            shown[column] = shown[column].map(lambda v, w=said: "" if v is None else w.get(v, v))
    return shown


def _customers(count: int) -> str:
    return tn("{n:n} customer", "{n:n} customers", count)


def _label(name: str) -> str:
    """A declared field's label in the reader's language."""
    return t(fields.label(name))
