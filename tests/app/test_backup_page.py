"""Admin › Backup and restore: an admin prepares the archive of the whole database."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import Engine

from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from support import a_customer, page_as


def test_an_admin_prepares_a_backup_to_download(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    a_customer(app_engine, staff[Role.SALES], name="Rina Wati")
    at = page_as("backup", staff[Role.ADMIN]).run()
    assert not at.get("download_button")
    next(b for b in at.button if b.label == "Prepare a backup").click()
    at.run()
    assert not at.exception and not at.error
    archive, rows = at.session_state["relasi_backup_ready"]
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["tables"]["customers"]["rows"] == 1
        assert "Rina Wati" in zf.read("tables/customers.jsonl").decode()
    assert rows == sum(t["rows"] for t in manifest["tables"].values())
    assert len(at.get("download_button")) == 1
