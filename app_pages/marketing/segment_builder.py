"""Segment builder: the rule builder (conditions in AND / OR groups, a live count and preview, save,
hand to an account manager, export for a broadcast) and the list of saved segments."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.marketing import _views as views
from app_pages.marketing._views import (
    describe_rule,
    field_label,
    op_label,
    stored_as_of,
    value_label,
)
from crm_core.kernel.errors import ValidationError
from crm_core.kernel.lookups import active_users
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.marketing import rules, segments
from crm_core.marketing.rules import FIELDS, OPS, Kind, Op
from crm_core.marketing.segments import Broadcast
from crm_core.models.enums import Entity
from ui import cache, forms
from ui.auth import require_page
from ui.db import read_scope
from ui.format import compact_money, date_box_format, local_times, number
from ui.i18n import N_, say, t, tn
from ui.plain import plain

LAYOUT = "segb_layout"  # [[condition uid, ...] per group]
EDITING = "segb_editing"  # (segment id, version) being edited, or None
_uids = itertools.count(1)
SAVE_FORM, ASSIGN_FORM = "segment-save", "segment-assign"


def _new_uid() -> int:
    used = [u for group in st.session_state.get(LAYOUT, []) for u in group]
    return int(max([next(_uids), *[int(u) + 1 for u in used]]))


def load_rule(
    rule: Mapping[str, Any], name: str = "", editing: tuple[int, int] | None = None,
    description: str = "",
) -> None:  # fmt: skip
    """Put a rule into the builder (before its widgets are drawn, on the next run)."""
    parsed = rules.parse_rule(rule)
    layout = []
    st.session_state["segb_match"] = parsed.match
    for g, group in enumerate(parsed.groups):
        uids = []
        st.session_state[f"segb_g{g}_match"] = group.match
        for condition in group.conditions:
            uid = _new_uid()
            uids.append(uid)
            st.session_state[f"segb_{uid}_field"] = condition.field
            st.session_state[f"segb_{uid}_op"] = condition.op.value
            value = condition.value
            if FIELDS[condition.field].kind is Kind.TAGS and isinstance(value, list):
                value = ", ".join(value)
            st.session_state[f"segb_{uid}_value"] = value
        layout.append(uids)
    st.session_state[LAYOUT] = layout
    st.session_state["segb_name"] = name
    st.session_state["segb_description"] = description
    st.session_state[EDITING] = editing
    st.session_state[VIEW_KEY] = "build"


def _layout() -> list[list[int]]:
    if LAYOUT not in st.session_state:
        st.session_state[LAYOUT] = [[_new_uid()]]
    layout: list[list[int]] = st.session_state[LAYOUT]
    return layout


def _condition(uid: int, choices: dict[str, list[str]]) -> dict[str, Any]:
    left, middle, right, remove = st.columns([3, 2, 4, 1])
    field = left.selectbox(t("Attribute"), list(FIELDS), format_func=field_label,
                           key=f"segb_{uid}_field", label_visibility="collapsed")  # fmt: skip
    spec = FIELDS[field]
    ops = [o.value for o in OPS[spec.kind]]
    if st.session_state.get(f"segb_{uid}_op") not in ops:
        st.session_state[f"segb_{uid}_op"] = ops[0]
    op = middle.selectbox(t("Operator"), ops, format_func=op_label, key=f"segb_{uid}_op",
                          label_visibility="collapsed")  # fmt: skip
    value_key = f"segb_{uid}_value"
    value: Any = None
    if Op(op) in (Op.IS_SET, Op.IS_EMPTY, Op.YES, Op.NO):
        right.write("")
    elif spec.kind is Kind.NUMBER:
        if not isinstance(st.session_state.get(value_key), int | float):
            st.session_state[value_key] = 0.0
        value = right.number_input(t("Value"), key=value_key, label_visibility="collapsed")
    elif spec.kind is Kind.TAGS:
        if not isinstance(st.session_state.get(value_key), str):
            st.session_state[value_key] = ""
        typed = right.text_input(t("Value"), key=value_key, label_visibility="collapsed",
                                 placeholder=t("tags, separated by commas"))  # fmt: skip
        value = [v.strip() for v in typed.split(",") if v.strip()]
    else:
        options = choices[field]
        kept = st.session_state.get(value_key)
        st.session_state[value_key] = [v for v in kept if v in options] if isinstance(
            kept, list) else []  # fmt: skip

        def shown(value: Any) -> str:
            return value_label(field, value)

        value = right.multiselect(
            t("Value"), options, key=value_key, label_visibility="collapsed",
            format_func=shown, placeholder=t("Choose values"),
        )  # fmt: skip
    if remove.button("✕", key=f"segb_{uid}_remove", help=t("Remove this condition")):
        st.session_state[LAYOUT] = [[u for u in g if u != uid] for g in _layout()]
        st.session_state[LAYOUT] = [g for g in st.session_state[LAYOUT] if g] or [[_new_uid()]]
        st.rerun()
    return {"field": field, "op": op, "value": value}


def _rule_widgets(choices: dict[str, list[str]]) -> dict[str, Any]:
    matches = {"all": t("all of"), "any": t("any of")}
    st.radio(t("Customers who match"), list(matches), format_func=matches.__getitem__,
             horizontal=True, key="segb_match")  # fmt: skip
    groups = []
    for g, uids in enumerate(_layout()):
        with st.container(border=True):
            st.radio(
                t("Group {n}: conditions to meet", n=g + 1),
                list(matches),
                format_func=matches.__getitem__,
                horizontal=True,
                key=f"segb_g{g}_match",
            )
            conditions = [_condition(uid, choices) for uid in uids]
            if st.button(t("Add a condition"), key=f"segb_g{g}_add"):
                _layout()[g].append(_new_uid())
                st.rerun()
        groups.append({"match": st.session_state[f"segb_g{g}_match"], "conditions": conditions})
    if st.button(t("Add a group"), key="segb_add_group"):
        _layout().append([_new_uid()])
        st.rerun()
    return {"match": st.session_state["segb_match"], "groups": groups}


VIEWS = {"build": N_("Build a segment"), "saved": N_("Saved segments")}
VIEW_KEY = "segb_view"


def render() -> None:
    actor = require_page("segment-builder")
    st.title(t("Segment builder"))
    view = st.radio(
        t("Show"), list(VIEWS), format_func=lambda v: t(VIEWS[v]), horizontal=True, key=VIEW_KEY
    )
    as_of = stored_as_of()
    if view == "build":
        builder(actor, as_of)
    else:
        saved(actor, as_of)


def builder(actor: Actor, as_of: datetime) -> None:
    st.caption(
        t(
            "Pick customers by rules over their attributes and value figures. Conditions in a "
            "group are combined as the group says; the groups as the top line says. Value "
            "figures are as of the last refresh."
        )
    )
    mark = views.data_mark()
    built = _rule_widgets(views.rule_choices(mark))
    day = st.date_input(t("Members as of"), value=as_of.date(), max_value=as_of.date(),
                        key="segb_as_of", format=date_box_format())  # fmt: skip
    moment, table = as_of, None
    if day < as_of.date():  # as the customers stood at the end of that day
        past = cache.customer_values_at(datetime.combine(day, time()))
        moment, table = past.as_of, past.frame
        st.caption(
            t("As of the end of {day:date}: orders, value tier, RFM, CLV and churn risk as "
              "they were then; region, city, tags, consents and the other attributes as the "
              "audit trail says they were (every change made in Relasi is in it; a change made "
              "outside Relasi, such as the demo data's history, reads as today's). Customers "
              "added since are left out.", day=day)
        )  # fmt: skip
    try:
        rule = rules.checked_rule(built)
    except ValidationError as exc:
        st.warning(t("Complete the conditions: {problems}",
                     problems="; ".join(say(m) for m in exc.field_errors.values())))  # fmt: skip
        return
    stored = rule.model_dump(mode="json")
    key = views.rule_key(stored)
    with read_scope() as session:
        if table is None:
            ids = views.members_today(actor, key, moment, mark)
        else:
            ids = segments.members(session, actor, rule, table, moment, past=True)
        preview = segments.preview(session, actor, ids, table)
    st.metric(t("Customers in this segment"), number(len(ids)))
    st.caption(describe_rule(stored))
    _preview(preview, len(ids))
    _save(actor, stored)
    if ids and table is None:
        asked = (key, moment, mark)
        _assign(actor, ids, asked)
        _export(actor, ids, asked)


def _preview(preview: pd.DataFrame, total: int) -> None:
    if preview.empty:
        return
    st.caption(tn("The first {n:n} customer:", "The first {n:n} customers:", len(preview)))
    shown = preview.assign(
        value_tier=[value_label("value_tier", v) if pd.notna(v) else "–"
                    for v in preview["value_tier"]],
        rfm_segment=[value_label("rfm_segment", v) if pd.notna(v) else "–"
                     for v in preview["rfm_segment"]],
        net_revenue=preview["net_revenue"].map(compact_money),
        last_order_at=local_times(pd.to_datetime(preview["last_order_at"])),
    )  # fmt: skip
    st.dataframe(shown.drop(columns=["id"]), hide_index=True, width="stretch", column_config={
        "name": t("Name"), "city": t("City"), "region": t("Region"), "owner": t("Owner"),
        "value_tier": t("Value tier"), "rfm_segment": t("RFM segment"),
        "net_revenue": t("Net revenue"), "last_order_at": t("Last order"),
    }, placeholder="–")  # fmt: skip


def _save(actor: Actor, rule: dict[str, Any]) -> None:
    editing = st.session_state.get(EDITING)
    can = allowed(actor, Entity.SEGMENT, Action.UPDATE if editing else Action.CREATE)
    if not can:
        return
    st.subheader(t("Save this segment"))
    forms.feedback(SAVE_FORM)
    with st.form("segb_save_form"):
        name = st.text_input(t("Name"), key="segb_name")
        forms.field_error(SAVE_FORM, "name")
        description = st.text_area(t("Description"), key="segb_description")
        label = t("Save changes") if editing else t("Save segment")
        pressed = st.form_submit_button(label, type="primary")
    if pressed:
        data = {"name": name, "description": description, "rule": rule}
        if editing:
            segment_id, version = editing
            done = forms.submit(SAVE_FORM, lambda s: segments.update_segment(
                s, actor, segment_id, version, data), t("Segment saved."))  # fmt: skip
        else:
            done = forms.submit(SAVE_FORM, lambda s: segments.create_segment(s, actor, data),
                                t("Segment saved."))  # fmt: skip
        if done:
            st.session_state[EDITING] = None
        st.rerun()


PREVIEWED = 20  # the owner preview's rows; the count is of everyone who changes
Asked = tuple[str, datetime, tuple[Any, ...]]  # the rule, its moment, the customers' mark


def _assign(actor: Actor, ids: list[int], asked: Asked) -> None:
    if not allowed(actor, Entity.CUSTOMER, Action.UPDATE):
        return
    st.subheader(t("Assign to an account manager"))
    forms.feedback(ASSIGN_FORM)
    with read_scope() as session:
        people = dict(active_users(session))
    owner = st.selectbox(t("New owner"), list(people), format_func=people.__getitem__,
                         index=None, key="segb_owner",
                         placeholder=t("Choose a person"))  # fmt: skip
    if owner is None:
        return
    count, changes = views.owner_preview(actor, *asked, owner, PREVIEWED)
    if count == 0:
        st.info(t("{name} already owns every customer in this segment.", name=plain(people[owner])))
        return
    st.caption(tn("{n:n} customer changes owner:", "{n:n} customers change owner:", count))
    if count > len(changes):
        st.caption(t("The first {n:n} of them:", n=len(changes)))
    st.dataframe(changes[["name", "city", "owner"]], hide_index=True, width="stretch",
                 column_config={"name": t("Name"), "city": t("City"),
                                "owner": t("Owner now")}, placeholder="–")  # fmt: skip

    def give(session: forms.Session) -> int:
        # Everyone who changes, read with their versions in the write's own transaction.
        every = segments.owner_changes(session, ids, owner)
        versions = {int(i): int(v) for i, v in zip(every["id"], every["version"], strict=True)}
        return segments.assign_owner(session, actor, owner, versions)

    if st.button(tn("Give {n:n} customer to {name}", "Give {n:n} customers to {name}",
                    count, name=plain(people[owner])), key="segb_assign"):  # fmt: skip
        forms.submit(ASSIGN_FORM, give,
                     tn("{n:n} customer now belongs to {name}.",
                        "{n:n} customers now belong to {name}.", count,
                        name=people[owner]))  # fmt: skip
        views.clear()  # owners changed: the readers' scopes hold others now
        st.rerun()


def _export(actor: Actor, ids: list[int], asked: Asked) -> None:
    st.subheader(t("Export for a broadcast"))
    channels = {Broadcast.EMAIL: t("Email"), Broadcast.WHATSAPP: t("WhatsApp")}
    channel = st.radio(t("Channel"), list(channels), format_func=channels.__getitem__,
                       horizontal=True, key="segb_channel")  # fmt: skip
    reached, left_out = views.reach(actor, *asked, channel)
    st.caption(
        t(
            "{n:n} can be reached; {out:n} left out (no consent to this channel, or no "
            "address for it).",
            n=reached, out=left_out,
        )
    )  # fmt: skip

    def listed() -> pd.DataFrame:  # read when downloaded, not on every run
        with read_scope() as session:
            return segments.broadcast_list(session, actor, ids, channel)[0]

    views.deferred_download(t("Download the list as CSV"), listed, f"{channel}-list",
                            "segb_export", disabled=reached == 0)  # fmt: skip


def saved(actor: Actor, as_of: datetime) -> None:
    with read_scope() as session:
        listed = segments.list_segments(session, actor)
    if listed.empty:
        st.info(t("No saved segments yet: build one and save it."))
        return
    names = dict(zip(listed["id"], listed["name"], strict=True))
    chosen = st.selectbox(t("Segment"), list(names), format_func=names.__getitem__,
                          key="segs_chosen")  # fmt: skip
    row = listed.set_index("id").loc[chosen]
    rule = rules.parse_rule(row["rule"])
    with read_scope() as session:
        ids = segments.members(session, actor, rule, None, as_of)
    st.metric(t("Customers in this segment today"), number(len(ids)))
    if row["description"]:
        st.text(row["description"])
    st.caption(t("Rule: {rule}", rule=plain(describe_rule(rule.model_dump(mode="json")))))
    st.caption(t("Owner: {owner}", owner=plain(row["owner"] or "–")))
    left, right = st.columns(2)
    if left.button(t("Open in the builder"), key="segs_edit"):
        editing = (int(chosen), int(row["version"]))
        load_rule(row["rule"], name=str(row["name"]), editing=editing,
                  description=str(row["description"] or ""))  # fmt: skip
        st.session_state[VIEW_KEY] = "build"
        st.rerun()
    if allowed(actor, Entity.SEGMENT, Action.DELETE) and right.button(
        t("Delete segment"), key="segs_delete"
    ):
        forms.submit("segment-delete", lambda s: segments.delete_segment(
            s, actor, int(chosen), int(row["version"])), t("Segment deleted."))  # fmt: skip
        st.rerun()
    forms.feedback("segment-delete")
    overview = listed.assign(updated_at=local_times(listed["updated_at"]))
    st.dataframe(overview[["name", "description", "owner", "updated_at"]], hide_index=True,
                 width="stretch", column_config={"name": t("Name"),
                 "description": t("Description"), "owner": t("Owner"),
                 "updated_at": t("Changed")}, placeholder="–")  # fmt: skip
