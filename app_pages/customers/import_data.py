"""Import: upload a CSV of customers or orders, map its columns, preview, import, revert."""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.exchange import importing, reverting
from crm_core.exchange.importing import ImportKind, ImportMode, ImportPreview, MatchKey, RowStatus
from crm_core.exchange.registry import importer
from crm_core.kernel.csv_files import safe_csv
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Actor
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.format import number, when
from ui.i18n import N_, keep_language, say, t, team, tn
from ui.labels import field, formatter, option
from ui.plain import plain

FORM = "import"
UPLOAD = "import_upload"  # {"name", "token", "frame"}: the file survives reruns and page changes
PREVIEW = "import_preview"
CONFIRM = "import_confirm_revert"
IGNORE = ""  # the mapping's "not read" choice
MODES = {
    ImportMode.CREATE_ONLY: N_("Create new customers only"),
    ImportMode.CREATE_OR_UPDATE: N_("Create, or update the ones that match"),
    ImportMode.UPDATE_ONLY: N_("Update matching customers only"),
}
PRODUCT_MODES = {  # a product is found by its SKU
    ImportMode.CREATE_ONLY: N_("Add new products only (SKUs already stored are skipped)"),
    ImportMode.CREATE_OR_UPDATE: N_("Add new products, update the ones whose SKU is stored"),
    ImportMode.UPDATE_ONLY: N_("Update stored products only (prices, costs, names)"),
}
KEYS = {
    MatchKey.EMAIL: N_("Email"),
    MatchKey.PHONE: N_("Phone"),
    MatchKey.EXTERNAL_ID: N_("External id"),
}


def render() -> None:
    actor = require_page("import")
    st.title(t("Import"))
    st.caption(
        t(
            "Bring customers or your sales history from a CSV file. Nothing is written until "
            "you press Import, only valid rows are imported, and an import can be reverted as "
            "a whole."
        )
    )
    forms.feedback(FORM)
    kinds = list(ImportKind)  # a name, not list(...) inline: mypy then reads the options' type
    asked = st.query_params.get("kind")  # a link from the first-run setup: ?kind=orders
    kind = ImportKind(
        st.radio(
            t("The file holds"),
            kinds,
            index=kinds.index(ImportKind(asked)) if asked in set(ImportKind) else 0,
            format_func=formatter(ImportKind),
            horizontal=True,
            key="import_kind",
        )
    )
    upload = _uploaded()
    if upload is not None:
        _plan(actor, kind, upload)
    _history(actor)


def _uploaded() -> dict[str, Any] | None:
    """The uploaded file, read once and kept in the session until another file replaces it."""
    file = st.file_uploader(
        t("CSV file (comma, semicolon, tab or | separated; UTF-8, UTF-16 or Excel's encoding)"),
        type=["csv", "txt"],
        key="import_file",
    )
    if file is not None:
        content = file.getvalue()
        token = hashlib.sha256(content).hexdigest()[:12]
        if (st.session_state.get(UPLOAD) or {}).get("token") != token:
            try:
                limits = team()
                frame = importing.read_csv(
                    content, limits.import_max_megabytes * 1_000_000, limits.import_max_rows
                )
            except importing.UnreadableFile as exc:
                st.error(
                    t(
                        "Could not read {name} as CSV: {problem}",
                        name=plain(file.name),
                        problem=say(exc.message),
                    )
                )
                return None
            st.session_state[UPLOAD] = {"name": file.name, "token": token, "frame": frame}
            st.session_state.pop(PREVIEW, None)
    upload = st.session_state.get(UPLOAD)
    if upload is not None and file is None:
        st.info(t("Still working on {name}, uploaded earlier.", name=upload["name"]))
        if st.button(t("Start over with another file"), key="import_forget"):
            st.session_state.pop(UPLOAD, None)
            st.session_state.pop(PREVIEW, None)
            st.rerun()
    return upload


def _plan(actor: Actor, kind: ImportKind, upload: dict[str, Any]) -> None:
    frame: pd.DataFrame = upload["frame"]
    size = t(
        "{rows}, {columns}",
        rows=tn("{n:n} row", "{n:n} rows", len(frame)),
        columns=tn("{n:n} column", "{n:n} columns", len(frame.columns)),
    )
    st.caption(f"**{plain(upload['name'])}**: {size}.")
    st.dataframe(frame.head(5), hide_index=True, width="stretch")
    mapping = _mapping(kind, frame, upload["token"])
    if kind is ImportKind.CUSTOMERS:
        mode = ImportMode(
            st.radio(
                t("Mode"),
                list(MODES),
                format_func=keep_language(lambda m: t(MODES[m])),
                key="import_mode",
            )
        )
        label = t("Match existing customers by (emails and phones compared however typed)")
    elif kind is ImportKind.PRODUCTS:
        mode = ImportMode(
            st.radio(
                t("Mode"),
                list(PRODUCT_MODES),
                format_func=keep_language(lambda m: t(PRODUCT_MODES[m])),
                key="import_product_mode",
            )
        )
        label = ""
    elif kind is ImportKind.LEADS:
        mode = ImportMode.CREATE_ONLY
        st.caption(
            t(
                "Leads are always created new, owned by the user the owner column names (by "
                "username or email), else by you. A stage history reads like "
                '"new 2026-01-02; contacted 2026-01-05; won 2026-01-20"; times without an '
                "offset are {zone} time. A lead with the email of a stored lead is skipped as "
                "a duplicate.",
                zone=team().time_zone,
            )
        )
        label = ""
    elif kind is ImportKind.TICKETS:
        mode = ImportMode.CREATE_ONLY
        st.caption(
            t(
                "Tickets are always created new, one per row, with the moments they were "
                "created, first answered and resolved, and due times from today's service "
                "levels. A row of the same customer, subject and creation time as a stored "
                "ticket is skipped. A time without an offset (+07:00) is read as {zone} time.",
                zone=team().time_zone,
            )
        )
        label = t("Find each ticket's customer by")
    else:
        mode = ImportMode.CREATE_ONLY
        st.caption(
            t(
                "Orders are always created new. Rows with the same order ref are the lines of "
                "one order; an order whose ref is already stored is skipped as a duplicate. A "
                "time without an offset (+07:00) is read as {zone} time.",
                zone=team().time_zone,
            )
        )
        label = t("Find each order's customer by")
    match = MatchKey.EMAIL  # products are matched by SKU: no key to choose
    if label:
        match = MatchKey(
            st.selectbox(
                label, list(KEYS), format_func=keep_language(lambda k: t(KEYS[k])),
                key="import_match",
            )
        )  # fmt: skip
    extra: dict[str, Any] = {}
    if kind is ImportKind.ORDERS:
        extra["keep_stored_matches"] = st.checkbox(
            t(
                "Also import lines that match a stored order of the same customer at the same "
                "time (they are new purchases, not this file imported again)"
            ),
            key="import_keep_matches",
        )
    if st.button(t("Preview"), type="primary", key="import_preview_button"):
        try:
            checking = t("Checking {n:n} rows…", n=len(frame))
            with st.spinner(checking), read_scope() as session:
                preview = importer(kind).preview(
                    session, actor, frame, mapping, mode, match, **extra
                )
            st.session_state[PREVIEW] = {"preview": preview, "token": upload["token"]}
        except CRMError as exc:
            st.session_state.pop(PREVIEW, None)
            st.error(say(exc.message))
    kept = st.session_state.get(PREVIEW) or {}
    preview = kept.get("preview")
    current = (kind, mapping, mode, match, upload["token"])
    chosen = all(preview.options.get(k) == v for k, v in extra.items()) if preview else False
    if preview and chosen and (preview.kind, preview.mapping, preview.mode, preview.match_key,
                               kept["token"]) == current:  # fmt: skip
        _show_preview(actor, preview, upload["name"])
    elif preview:
        st.info(t("The mapping or the options changed since the preview: preview again."))


def _mapping(kind: ImportKind, frame: pd.DataFrame, token: str) -> dict[str, str]:
    """One selectbox per column, proposed from the headers; returns column -> field."""
    fields = list(importer(kind).fields)
    proposal = importing.suggest_mapping(frame.columns, importer(kind).fields)
    st.subheader(t("Columns"))
    st.caption(t("Which field each column of the file fills. Columns left ignored are not read."))
    options = [IGNORE, *fields]
    mapping: dict[str, str] = {}
    grid = st.columns(3)
    for i, column in enumerate(frame.columns):
        choice = grid[i % 3].selectbox(
            column,
            options,
            index=options.index(proposal.get(column, IGNORE)),
            format_func=keep_language(lambda f: field(f) if f else t("(ignore this column)")),
            key=f"import_map:{kind}:{token}:{i}",
        )
        if choice != IGNORE:
            mapping[column] = choice
    return mapping


def _show_preview(actor: Actor, preview: ImportPreview, filename: str) -> None:
    counts = preview.counts
    st.subheader(t("Preview"))
    cells = st.columns(5)
    if preview.kind is ImportKind.ORDERS:
        cells[0].metric(t("Orders to create"), number(counts["orders"]))
        cells[1].metric(t("Lines"), number(counts["create"]))
    else:
        cells[0].metric(t("To create"), number(counts["create"]))
        cells[1].metric(t("To update"), number(counts["update"]))
    cells[2].metric(t("Bad rows"), number(counts["bad"]))
    cells[3].metric(t("Likely duplicates"), number(counts["duplicate"]))
    cells[4].metric(t("Other skipped"), number(counts["skipped"] - counts["duplicate"]))
    for notice in preview.notices:
        st.warning(plain(say(notice)))
    st.caption(
        t(
            "{n:n} rows read = to write + bad + skipped; row numbers are the file's lines (the "
            "header is line 1). Bad rows and duplicates are not imported.",
            n=counts["rows"],
        )
    )
    for title, statuses in (
        (t("Bad rows"), (RowStatus.BAD,)),
        (t("Likely duplicates"), (RowStatus.DUPLICATE,)),
        (t("Other skipped rows"), (RowStatus.UNMATCHED, RowStatus.UNCHANGED, RowStatus.EMPTY)),
    ):
        table = preview.problems(*statuses).drop(columns=["action", "record_id"])
        if preview.kind is not ImportKind.ORDERS:
            table = table.drop(columns=["order"])
        if not table.empty:
            st.markdown(f"**{title}** ({number(len(table))})")
            st.dataframe(
                _said(table), hide_index=True, width="stretch", column_config=_report_columns()
            )
    stem = PurePath(filename).stem
    st.download_button(
        t("Download the full report (CSV)"),
        safe_csv(_said(preview.report()).rename(columns=_report_columns())),
        f"{stem}-import-report.csv",
        "text/csv",
        key="import_report",
    )
    if preview.valid:
        _commit_button(actor, preview, filename)
    else:
        st.warning(t("No row is valid: fix the file (the report says how) and upload it again."))


def _said(report: pd.DataFrame) -> pd.DataFrame:
    """An import report for this reader: statuses, actions, errors and reasons in words."""
    said = importing.render_report(report, say)
    words = {"status": formatter(RowStatus), "action": formatter(importing.RowAction)}
    return said.assign(**{c: said[c].map(w) for c, w in words.items() if c in said.columns})


def _report_columns() -> dict[str, str]:
    return {
        "row": t("Row"),
        "order": t("Order"),
        "action": t("Action"),
        "status": t("Status"),
        "errors": t("Errors"),
        "reasons": t("Reasons"),
        "record_id": t("Record id"),
    }


def _commit_button(actor: Actor, preview: ImportPreview, filename: str) -> None:
    go = tn("Import {n:n} valid row", "Import {n:n} valid rows", preview.valid)
    if not st.button(go, type="primary", key="import_commit"):
        return
    importing_text = t("Importing…")
    bar = st.progress(0.0, text=importing_text)

    def commit(session: Any) -> object:
        return importer(preview.kind).write(
            session,
            actor,
            preview,
            filename,
            lambda done: bar.progress(done, text=importing_text),
        )

    counts = preview.counts
    if preview.kind is ImportKind.ORDERS:
        what = t(
            "{orders} ({lines})",
            orders=tn("{n:n} order", "{n:n} orders", counts["orders"]),
            lines=tn("{n:n} line", "{n:n} lines", counts["create"]),
        )
    elif preview.kind is ImportKind.PRODUCTS:
        what = t(
            "{created:n} new and {updated:n} updated products",
            created=counts["create"],
            updated=counts["update"],
        )
    elif preview.kind is ImportKind.LEADS:
        what = tn("{n:n} lead", "{n:n} leads", counts["create"])
    elif preview.kind is ImportKind.TICKETS:
        what = tn("{n:n} ticket", "{n:n} tickets", counts["create"])
    else:
        what = t(
            "{created:n} new and {updated:n} updated customers",
            created=counts["create"],
            updated=counts["update"],
        )
    message = t(
        "Imported {what} from {filename}. You can revert it below.", what=what, filename=filename
    )
    if forms.submit(FORM, commit, message):
        st.session_state.pop(PREVIEW, None)
        st.session_state.pop(UPLOAD, None)
    st.rerun()


def _history(actor: Actor) -> None:
    st.subheader(t("Past imports"))
    with read_scope() as session:
        table = importing.list_imports(session, actor, limit=20)
    if table.empty:
        st.caption(t("No imports yet."))
        return
    _confirm_revert(actor)
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row in table.itertuples():
        text, counts, action = st.columns([4, 3, 1])
        text.markdown(
            f"**#{row.id}** "
            + t(
                "{kind} from `{filename}`, {at} by {by}",
                kind=option(ImportKind, row.kind),
                filename=row.filename,
                at=when(row.at),
                by=row.by,
            )
        )
        counts.caption(
            t(
                "{created:n} created, {updated:n} updated, {bad:n} bad, {skipped:n} skipped",
                created=row.create,
                updated=row.update,
                bad=row.bad,
                skipped=row.skipped,
            )
        )
        if pd.notna(row.reverted_at):
            action.caption(t("Reverted {at}", at=when(row.reverted_at)))
        elif action.button(t("Revert"), key=f"import_revert:{row.id}"):
            st.session_state[CONFIRM] = int(row.id)
            st.rerun()
    _past_report(actor, [int(i) for i in table["id"]])


def _confirm_revert(actor: Actor) -> None:
    batch_id = st.session_state.get(CONFIRM)
    if batch_id is None:
        return
    st.warning(
        t(
            "Revert import #{id}? Customers it created are deleted (a manager can restore "
            "them), customers it updated get their old values back, orders it created are "
            "deleted. If any of them changed since, nothing is reverted.",
            id=batch_id,
        )
    )
    yes, no = st.columns(2)
    sure = t("Yes, revert import #{id}", id=batch_id)
    if yes.button(sure, type="primary", key="import_revert_yes"):
        forms.submit(
            FORM,
            lambda s: reverting.revert_import(s, actor, batch_id),
            t("Import #{id} reverted.", id=batch_id),
        )
        st.session_state.pop(CONFIRM, None)
        st.rerun()
    if no.button(t("Cancel"), key="import_revert_no"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()


def _past_report(actor: Actor, ids: list[int]) -> None:
    picked = st.selectbox(
        t("Report of a past import"), ids, format_func=lambda i: f"#{i}", key="import_past"
    )
    if picked is not None:
        with read_scope() as session:
            report = importing.batch_report(session, actor, int(picked))
        st.download_button(
            t("Download the report of import #{id} (CSV)", id=picked),
            safe_csv(_said(report).rename(columns=_report_columns())),
            f"relasi-import-{picked}-report.csv",
            "text/csv",
            key="import_past_report",
        )
