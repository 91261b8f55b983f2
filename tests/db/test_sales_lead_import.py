"""Lead import through the framework: preview row by row, commit with the stage history,
duplicates skipped, the funnel reads the imported history, revert removes it all."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from crm_core.exchange.importing import RevertRefused, RowStatus
from crm_core.exchange.registry import importer
from crm_core.kernel.permissions import Actor
from crm_core.models import Lead, LeadStageChange
from crm_core.models.enums import Role
from crm_core.sales import analysis, leads
from crm_core.sales.lead_import import parse_history
from crm_core.sales.settings import read_sales_settings, update_sales_settings
from db.session import session_scope
from support import make_user

FILE = pd.DataFrame(
    {
        "Nama": ["Sari Dewi", "Budi", "Ani", "Sari again", "Joko"],
        "Email": ["sari@x.id", "budi@x.id", "", "SARI@x.id", "joko@x.id"],
        "Sumber": ["Rekomendasi", "website", "pameran", "referral", "website"],
        "Tahap": ["won", "", "gagal", "new", "qualified"],
        "Nilai": ["Rp 5.000.000", "1000000", "", "", "abc"],
        "Pemilik": ["rina", "", "", "", ""],
        "Riwayat": ["new 2026-01-02; contacted 2026-01-05; won 2026-01-20", "", "", "", ""],
        "Alasan gagal": ["", "", "price", "", ""],
        "Dibuat": ["", "2026-02-01", "2026-01-10", "", ""],
    }
)


def test_parse_history_reads_steps_and_refuses_a_bad_one() -> None:
    assert parse_history("baru 2026-01-02; won 2026-01-20 10:00", "Asia/Jakarta") == [
        ("new", datetime(2026, 1, 1, 17)), ("won", datetime(2026, 1, 20, 3)),
    ]  # fmt: skip
    assert parse_history("new 2026-01-02; later", "UTC").code == "import.history_step"
    assert parse_history("won 2026-01-20; new 2026-01-02", "UTC").code == "import.history_order"


def test_leads_import_with_their_history_skip_duplicates_and_revert(
    engine: Engine, manager: Actor
) -> None:
    rina = make_user(engine, Role.SALES, "rina")
    lead_import = importer("leads")
    mapping = {"Nama": "name", "Email": "email", "Sumber": "source", "Tahap": "stage",
               "Nilai": "value", "Pemilik": "owner", "Riwayat": "history",
               "Alasan gagal": "lost_reason", "Dibuat": "created_at"}  # fmt: skip
    with session_scope(engine, write=False) as s:
        preview = lead_import.preview(s, manager, FILE, mapping, "create_only", "email")
    statuses = [r.status for r in preview.rows]
    assert statuses == [RowStatus.OK, RowStatus.OK, RowStatus.OK, RowStatus.DUPLICATE,
                        RowStatus.BAD]  # fmt: skip
    assert "value" in preview.rows[4].errors
    with session_scope(engine) as s:
        batch = lead_import.commit(s, manager, preview, "leads.csv")
        batch_id, report = batch.id, dict(batch.report)
    with session_scope(engine, write=False) as s:
        sari = s.scalars(select(Lead).where(Lead.name == "Sari Dewi")).one()
        assert (sari.stage, sari.owner_id, sari.source, sari.value) == (
            "won",
            rina.id,
            "referral",
            5_000_000,
        )
        assert sari.closed_at == datetime(2026, 1, 19, 17)  # 20 Jan 00:00 in Jakarta
        moves = s.scalars(
            select(LeadStageChange.to_stage)
            .where(LeadStageChange.lead_id == sari.id)
            .order_by(LeadStageChange.changed_at)
        ).all()
        assert moves == ["new", "contacted", "won"]
        ani = s.scalars(select(Lead).where(Lead.name == "Ani")).one()
        assert (ani.stage, ani.lost_reason, ani.source) == ("lost", "price", "event")
        report_q1 = analysis.funnel_report(s, manager, date(2026, 1, 1), date(2026, 3, 31))
    assert report_q1.funnel["reached"].tolist() == [3, 1, 1, 1, 1, 1]
    with session_scope(engine) as s:
        lead_import.revert(s, manager, report)
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(Lead.id)) is None and s.scalar(select(LeadStageChange.id)) is None
    assert batch_id


def test_a_revert_refuses_when_an_imported_lead_was_worked_on(
    engine: Engine, manager: Actor
) -> None:
    lead_import = importer("leads")
    frame = pd.DataFrame({"name": ["Dewi"], "source": ["website"]})
    with session_scope(engine, write=False) as s:
        preview = lead_import.preview(s, manager, frame, {"name": "name", "source": "source"})
    with session_scope(engine) as s:
        report = dict(lead_import.commit(s, manager, preview, "one.csv").report)
    lead_id = report["created"][0][0]
    with session_scope(engine) as s:
        leads.move_stage(s, manager, lead_id, 1, "contacted")
    with pytest.raises(RevertRefused), session_scope(engine) as s:
        lead_import.revert(s, manager, report)


def test_a_file_names_a_pipelines_own_stage_by_its_name_or_its_key(
    engine: Engine, manager: Actor
) -> None:
    """A manager added "Demo booked" between New and Proposal: a file that writes it (in any
    case, in the history too) or its key (as the export writes it) imports into that stage;
    a stage the pipeline lacks is refused with the pipeline's stages named."""
    with session_scope(engine) as s:
        saved = read_sales_settings(s)
        pipelines = [dict(p) for p in saved.settings.pipelines]
        named = (("new", None), ("", "Demo booked"), ("proposal", None))
        stages = [{"stage": k, "name": n, "probability": 0.3, "usual_days": 10} for k, n in named]
        pipelines[0] = {**pipelines[0], "stages": stages}
        update_sales_settings(s, manager, saved.version, {"pipelines": pipelines})
    file = pd.DataFrame(
        {
            "Nama": ["Rani", "Tono", "Wati"],
            "Sumber": ["website", "website", "website"],
            "Tahap": ["DEMO BOOKED", "custom-1", "Site visit"],
            "Riwayat": ["baru 2026-01-02; demo booked 2026-01-05", "", ""],
        }
    )
    mapping = {"Nama": "name", "Sumber": "source", "Tahap": "stage", "Riwayat": "history"}
    with session_scope(engine, write=False) as s:
        preview = importer("leads").preview(s, manager, file, mapping, "create_only", "email")
    assert [r.status for r in preview.rows] == [RowStatus.OK, RowStatus.OK, RowStatus.BAD]
    refused = preview.rows[2].errors["stage"]
    assert refused.code == "validation.one_of"
    assert refused.params["choices"] == "new, Demo booked, proposal, won, lost"
    with session_scope(engine) as s:
        importer("leads").commit(s, manager, preview, "leads.csv")
    with session_scope(engine, write=False) as s:
        stored = {name: stage for name, stage in s.execute(select(Lead.name, Lead.stage))}
        rani = s.scalars(select(Lead.id).where(Lead.name == "Rani")).one()
        moves = s.scalars(
            select(LeadStageChange.to_stage)
            .where(LeadStageChange.lead_id == rani)
            .order_by(LeadStageChange.changed_at)
        ).all()
    assert stored == {"Rani": "custom-1", "Tono": "custom-1"}
    assert moves == ["new", "custom-1"]
