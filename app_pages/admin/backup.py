"""Admin › Backup: download the whole database as one archive, or restore one (admin only)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from crm_core.admin import backup
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Actor
from ui.auth import require_page
from ui.db import get_engine, schema
from ui.format import number
from ui.i18n import say, t
from ui.plain import plain

_READY = "relasi_backup_ready"


def render() -> None:
    actor = require_page("backup")
    st.title(t("Backup and restore"))
    st.caption(
        t(
            "One archive of every table with its schema version. For a large database use "
            "`python manage.py export-all` and `import-all` on the server instead."
        )
    )
    st.subheader(t("Download a backup"))
    if st.button(t("Prepare a backup"), icon=":material/archive:"):
        with st.spinner(t("Writing the archive…")), tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "relasi-backup.zip"
            manifest = backup.export_all(get_engine(), path, schema(), actor=actor)
            st.session_state[_READY] = (path.read_bytes(), sum(manifest.rows.values()))
    if _READY in st.session_state:
        data, rows = st.session_state[_READY]
        st.download_button(
            t("Download the backup ({rows} rows)", rows=number(rows)),
            data,
            "relasi-backup.zip",
            "application/zip",
            icon=":material/download:",
        )
    st.subheader(t("Restore a backup"))
    st.warning(t("A restore replaces every record of this database with the archive's."))
    upload = st.file_uploader(t("Backup archive (.zip)"), type=["zip"])
    if upload is None:
        return
    try:
        manifest = backup.read_manifest(upload)
    except CRMError as exc:
        st.error(say(exc.message))
        return
    _show_manifest(manifest)
    replace = st.checkbox(t("Replace everything this database holds"))
    if st.button(t("Restore"), type="primary", disabled=not replace):
        _restore(upload, actor)


def _show_manifest(manifest: backup.Manifest) -> None:
    st.caption(
        t(
            "Schema {revision}, written {when}",
            revision=plain(manifest.revision),
            when=plain(manifest.created_at[:16]),
        )
    )
    counts = pd.DataFrame(
        {t("Table"): list(manifest.rows), t("Rows"): list(manifest.rows.values())}
    )
    st.dataframe(counts, hide_index=True, placeholder="–")


def _restore(upload: UploadedFile, actor: Actor) -> None:
    try:
        with st.spinner(t("Restoring…")):
            backup.import_all(get_engine(), upload, schema(), replace=True, actor=actor)
    except CRMError as exc:
        st.error(say(exc.message))
        return
    st.cache_data.clear()  # every cached figure described the database before
    st.success(t("Restored. Whoever is not in the backup is signed out at their next click."))
