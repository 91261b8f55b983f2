"""Import: upload a CSV of customers or orders, map its columns, preview, import, revert."""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.exchange import importing, reverting
from crm_core.exchange.chunks import FAILED, IN_PROGRESS
from crm_core.exchange.importing import ImportMode, ImportPreview, MatchKey, RowStatus
from crm_core.exchange.registry import Importer, importer, importers, kinds
from crm_core.kernel.csv_files import give_memory_back, safe_csv
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Actor
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.format import number, when
from ui.i18n import N_, keep_language, say, t, team, tn
from ui.labels import field, formatter
from ui.plain import plain

FORM = "import"
UPLOAD = "import_upload"  # {"name", "token", "frame"}: the file survives reruns and page changes
PREVIEW = "import_preview"
UPLOADS = "import_uploads"  # how many files were imported: the uploader's key, to empty it
CONFIRM = "import_confirm_revert"
IGNORE = ""  # the mapping's "not read" choice
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
    offered = kinds()
    asked = st.query_params.get("kind")  # a link from the first-run setup: ?kind=orders
    kind = st.radio(
        t("The file holds"),
        offered,
        index=offered.index(asked) if asked in offered else 0,
        format_func=keep_language(lambda k: t(importer(k).label)),
        horizontal=True,
        key="import_kind",
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
        key=_uploader_key(),
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
            _forget_file()
            st.rerun()
    return upload


def _uploader_key() -> str:
    imported = st.session_state.get(UPLOADS, 0)  # a new key empties the uploader
    return f"import_file:{imported}" if imported else "import_file"


def _plan(actor: Actor, kind: str, upload: dict[str, Any]) -> None:
    frame: pd.DataFrame = upload["frame"]
    size = t(
        "{rows}, {columns}",
        rows=tn("{n:n} row", "{n:n} rows", len(frame)),
        columns=tn("{n:n} column", "{n:n} columns", len(frame.columns)),
    )
    st.caption(f"**{plain(upload['name'])}**: {size}.")
    st.dataframe(frame.head(5), hide_index=True, width="stretch", placeholder="–")
    mapping = _mapping(kind, frame, upload["token"])
    spec = importer(kind)
    mode, match = _mode(spec), _match_key(spec)
    extra: dict[str, Any] = {
        name: st.checkbox(t(text), key=f"import_option:{kind}:{name}")
        for name, text in spec.hints.options.items()
    }
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


def _mode(spec: Importer) -> ImportMode:
    """The mode the user picks; a kind with one mode asks nothing."""
    modes = spec.hints.modes
    if spec.hints.note:
        st.caption(t(spec.hints.note, zone=team().time_zone))
    if len(modes) == 1:
        return next(iter(modes))
    return ImportMode(
        st.radio(
            t("Mode"),
            list(modes),
            format_func=keep_language(lambda m: t(modes[m])),
            key=f"import_mode:{spec.kind}",
        )
    )


def _match_key(spec: Importer) -> MatchKey:
    if not spec.hints.match_label:  # rows look no customer up (products match by SKU)
        return MatchKey.EMAIL
    return MatchKey(
        st.selectbox(
            t(spec.hints.match_label),
            list(KEYS),
            format_func=keep_language(lambda k: t(KEYS[k])),
            key="import_match",
        )
    )


def _mapping(kind: str, frame: pd.DataFrame, token: str) -> dict[str, str]:
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
    hints = importer(preview.kind).hints
    cells = st.columns(5)
    if hints.groups_label:
        cells[0].metric(t(hints.groups_label), number(counts["groups"]))
        cells[1].metric(t(hints.create_label), number(counts["create"]))
    else:
        cells[0].metric(t(hints.create_label), number(counts["create"]))
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
        if not hints.groups_label:
            table = table.drop(columns=["order"])
        if not table.empty:
            st.markdown(f"**{title}** ({number(len(table))})")
            st.dataframe(
                _said(table),
                hide_index=True,
                width="stretch",
                column_config=_report_columns(),
                placeholder="–",
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
            lambda done: _show_progress(bar, done, importing_text),
        )

    what = say(importer(preview.kind).hints.summary(preview.counts))
    message = t(
        "Imported {what} from {filename}. You can revert it below.", what=what, filename=filename
    )
    if forms.submit(FORM, commit, message):
        _forget_file()
    st.rerun()


def _show_progress(bar: Any, done: float, text: str) -> None:
    bar.progress(done, text=text)


def _forget_file() -> None:
    """Drop the imported file, its preview and the uploader's copy of its bytes, and give
    their memory back: a 500,000-row file held about 850 MB until the session ended."""
    st.session_state.pop(PREVIEW, None)
    st.session_state.pop(UPLOAD, None)
    st.session_state[UPLOADS] = st.session_state.get(UPLOADS, 0) + 1
    give_memory_back()


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
                kind=_kind_label(row.kind),
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
        if row.state == IN_PROGRESS:  # its chunks are being written, or its process stopped
            action.caption(t("Importing…"))
        elif row.state == FAILED:
            action.caption(t("Failed; nothing of it was kept"))
        elif pd.notna(row.reverted_at):
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


def _kind_label(kind: str) -> str:
    """A past batch's kind; one no area declares any more is shown as stored."""
    spec = importers().get(kind)
    return t(spec.label) if spec else plain(kind)
