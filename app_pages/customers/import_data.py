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
from ui import cache, forms
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_time

FORM = "import"
UPLOAD = "import_upload"  # {"name", "token", "frame"}: the file survives reruns and page changes
PREVIEW = "import_preview"
CONFIRM = "import_confirm_revert"
IGNORE = "(ignore this column)"
MODES = {
    ImportMode.CREATE_ONLY: "Create new customers only",
    ImportMode.CREATE_OR_UPDATE: "Create, or update the ones that match",
    ImportMode.UPDATE_ONLY: "Update matching customers only",
}
KEYS = {MatchKey.EMAIL: "Email", MatchKey.PHONE: "Phone", MatchKey.EXTERNAL_ID: "External id"}


def render() -> None:
    actor = require_page("import")
    st.title("Import")
    st.caption(
        "Bring customers or your sales history from a CSV file. Nothing is written until you "
        "press Import, only valid rows are imported, and an import can be reverted as a whole."
    )
    forms.feedback(FORM)
    kinds = list(ImportKind)  # a name, not list(...) inline: mypy then reads the options' type
    kind = ImportKind(
        st.radio(
            "The file holds",
            kinds,
            format_func=lambda kind: str(kind).capitalize(),
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
        "CSV file (comma, semicolon, tab or | separated; UTF-8, UTF-16 or Excel's encoding)",
        type=["csv", "txt"],
        key="import_file",
    )
    if file is not None:
        content = file.getvalue()
        token = hashlib.sha256(content).hexdigest()[:12]
        if (st.session_state.get(UPLOAD) or {}).get("token") != token:
            try:
                frame = importing.read_csv(content)
            except importing.UnreadableFile as exc:
                st.error(f"Could not read {file.name} as CSV: {exc}")
                return None
            st.session_state[UPLOAD] = {"name": file.name, "token": token, "frame": frame}
            st.session_state.pop(PREVIEW, None)
    upload = st.session_state.get(UPLOAD)
    if upload is not None and file is None:
        st.info(f"Still working on {upload['name']}, uploaded earlier.")
        if st.button("Start over with another file", key="import_forget"):
            st.session_state.pop(UPLOAD, None)
            st.session_state.pop(PREVIEW, None)
            st.rerun()
    return upload


def _plan(actor: Actor, kind: ImportKind, upload: dict[str, Any]) -> None:
    frame: pd.DataFrame = upload["frame"]
    st.caption(f"**{upload['name']}**: {len(frame):,} rows, {len(frame.columns)} columns.")
    st.dataframe(frame.head(5), hide_index=True, width="stretch")
    mapping = _mapping(kind, frame, upload["token"])
    if kind is ImportKind.CUSTOMERS:
        mode = ImportMode(st.radio("Mode", list(MODES), format_func=MODES.get, key="import_mode"))
        label = "Match existing customers by (emails and phones compared however typed)"
    else:
        mode = ImportMode.CREATE_ONLY
        st.caption(
            "Orders are always created new. Rows with the same order ref are the lines of one "
            "order; an order whose ref is already stored is skipped as a duplicate. A time "
            f"without an offset (+07:00) is read as {cache.team_settings().time_zone} time."
        )
        label = "Find each order's customer by"
    match = MatchKey(
        st.selectbox(label, list(KEYS), format_func=lambda key: KEYS[key], key="import_match")
    )
    if st.button("Preview", type="primary", key="import_preview_button"):
        try:
            with st.spinner(f"Checking {len(frame):,} rows…"), read_scope() as session:
                preview = importer(kind).preview(session, actor, frame, mapping, mode, match)
            st.session_state[PREVIEW] = {"preview": preview, "token": upload["token"]}
        except CRMError as exc:
            st.session_state.pop(PREVIEW, None)
            st.error(str(exc))
    kept = st.session_state.get(PREVIEW) or {}
    preview = kept.get("preview")
    current = (kind, mapping, mode, match, upload["token"])
    if preview and (preview.kind, preview.mapping, preview.mode, preview.match_key,
                    kept["token"]) == current:  # fmt: skip
        _show_preview(actor, preview, upload["name"])
    elif preview:
        st.info("The mapping or the options changed since the preview: preview again.")


def _mapping(kind: ImportKind, frame: pd.DataFrame, token: str) -> dict[str, str]:
    """One selectbox per column, proposed from the headers; returns column -> field."""
    fields = list(importer(kind).fields)
    proposal = importing.suggest_mapping(frame.columns, importer(kind).fields)
    st.subheader("Columns")
    st.caption("Which field each column of the file fills. Columns left ignored are not read.")
    options = [IGNORE, *fields]
    mapping: dict[str, str] = {}
    grid = st.columns(3)
    for i, column in enumerate(frame.columns):
        choice = grid[i % 3].selectbox(
            column,
            options,
            index=options.index(proposal.get(column, IGNORE)),
            key=f"import_map:{kind}:{token}:{i}",
        )
        if choice != IGNORE:
            mapping[column] = choice
    return mapping


def _show_preview(actor: Actor, preview: ImportPreview, filename: str) -> None:
    counts = preview.counts
    st.subheader("Preview")
    cells = st.columns(5)
    if preview.kind is ImportKind.ORDERS:
        cells[0].metric("Orders to create", f"{counts['orders']:,}")
        cells[1].metric("Lines", f"{counts['create']:,}")
    else:
        cells[0].metric("To create", f"{counts['create']:,}")
        cells[1].metric("To update", f"{counts['update']:,}")
    cells[2].metric("Bad rows", f"{counts['bad']:,}")
    cells[3].metric("Likely duplicates", f"{counts['duplicate']:,}")
    cells[4].metric("Other skipped", f"{counts['skipped'] - counts['duplicate']:,}")
    st.caption(
        f"{counts['rows']:,} rows read = to write + bad + skipped; row numbers are the file's "
        "lines (the header is line 1). Bad rows and duplicates are not imported."
    )
    for title, statuses in (
        ("Bad rows", (RowStatus.BAD,)),
        ("Likely duplicates", (RowStatus.DUPLICATE,)),
        ("Other skipped rows", (RowStatus.UNMATCHED, RowStatus.UNCHANGED, RowStatus.EMPTY)),
    ):
        table = preview.problems(*statuses).drop(columns=["action", "record_id"])
        if preview.kind is ImportKind.CUSTOMERS:
            table = table.drop(columns=["order"])
        if not table.empty:
            st.markdown(f"**{title}** ({len(table):,})")
            st.dataframe(table, hide_index=True, width="stretch")
    stem = PurePath(filename).stem
    st.download_button(
        "Download the full report (CSV)",
        safe_csv(preview.report()),
        f"{stem}-import-report.csv",
        "text/csv",
        key="import_report",
    )
    if preview.valid:
        _commit_button(actor, preview, filename)
    else:
        st.warning("No row is valid: fix the file (the report says how) and upload it again.")


def _commit_button(actor: Actor, preview: ImportPreview, filename: str) -> None:
    if not st.button(f"Import {preview.valid:,} valid rows", type="primary", key="import_commit"):
        return
    bar = st.progress(0.0, text="Importing…")

    def commit(session: Any) -> object:
        return importer(preview.kind).commit(
            session, actor, preview, filename, lambda done: bar.progress(done, text="Importing…")
        )

    counts = preview.counts
    if preview.kind is ImportKind.ORDERS:
        what = f"{counts['orders']:,} orders ({counts['create']:,} lines)"
    else:
        what = f"{counts['create']:,} new and {counts['update']:,} updated customers"
    message = f"Imported {what} from {filename}. You can revert it below."
    if forms.submit(FORM, commit, message):
        st.session_state.pop(PREVIEW, None)
        st.session_state.pop(UPLOAD, None)
    st.rerun()


def _history(actor: Actor) -> None:
    st.subheader("Past imports")
    with read_scope() as session:
        table = importing.list_imports(session, actor, limit=20)
    if table.empty:
        st.caption("No imports yet.")
        return
    _confirm_revert(actor)
    row: Any  # a frame's row: its cells are typed by the frame's columns, not statically
    for row in table.itertuples():
        text, counts, action = st.columns([4, 3, 1])
        text.markdown(
            f"**#{row.id}** {row.kind} from `{row.filename}`, {local_time(row.at)} by {row.by}"
        )
        counts.caption(
            f"{row.create:,} created, {row.update:,} updated, {row.bad:,} bad, "
            f"{row.skipped:,} skipped"
        )
        if pd.notna(row.reverted_at):
            action.caption(f"Reverted {local_time(row.reverted_at)}")
        elif action.button("Revert", key=f"import_revert:{row.id}"):
            st.session_state[CONFIRM] = int(row.id)
            st.rerun()
    _past_report(actor, [int(i) for i in table["id"]])


def _confirm_revert(actor: Actor) -> None:
    batch_id = st.session_state.get(CONFIRM)
    if batch_id is None:
        return
    st.warning(
        f"Revert import #{batch_id}? Customers it created are deleted (a manager can restore "
        "them), customers it updated get their old values back, orders it created are deleted. "
        "If any of them changed since, nothing is reverted."
    )
    yes, no = st.columns(2)
    if yes.button(f"Yes, revert import #{batch_id}", type="primary", key="import_revert_yes"):
        forms.submit(
            FORM,
            lambda s: reverting.revert_import(s, actor, batch_id),
            f"Import #{batch_id} reverted.",
        )
        st.session_state.pop(CONFIRM, None)
        st.rerun()
    if no.button("Cancel", key="import_revert_no"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()


def _past_report(actor: Actor, ids: list[int]) -> None:
    picked = st.selectbox(
        "Report of a past import", ids, format_func=lambda i: f"#{i}", key="import_past"
    )
    if picked is not None:
        with read_scope() as session:
            report = importing.batch_report(session, actor, int(picked))
        st.download_button(
            f"Download the report of import #{picked} (CSV)",
            safe_csv(report),
            f"relasi-import-{picked}-report.csv",
            "text/csv",
            key="import_past_report",
        )
