"""Lead import through the import framework: each row a lead with its current stage and, where
given, its stage history ("new 2026-01-02; contacted 2026-01-05; won 2026-01-20"); previewed
row by row, committed through the write path, reverted as a whole.

A lead that shares an email or phone with a stored lead (or an earlier row) is a likely
duplicate and is skipped. Leads are only ever created (mode create only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.exchange.importing import (
    FIRST_LINE,
    ImportMode,
    ImportPreview,
    MatchKey,
    Progress,
    RevertRefused,
    RowAction,
    RowOutcome,
    RowStatus,
    StalePreview,
    check_mapping,
    chunks,
    finish_batch,
    mapped_records,
    new_batch,
    parse_choice,
    progress_every,
)
from crm_core.kernel import writepath
from crm_core.kernel.errors import ConflictError, CRMError, PermissionDenied, ValidationError
from crm_core.kernel.inputs import validate
from crm_core.kernel.messages import Message, label, msg
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.kernel.settings import team_settings
from crm_core.models import ImportBatch, Lead, LeadStageChange, Task, User, utcnow
from crm_core.models.enums import Entity, LeadStage
from crm_core.sales import closed, facts
from crm_core.sales.inputs import LeadIn
from crm_core.sales.pipeline import LeadFilter, lead_list
from crm_core.sales.settings import (
    BUILT_IN,
    SalesSettings,
    is_custom,
    is_open,
    sales_settings,
    stage_param,
)

KIND = "leads"  # the importer's kind, stored on its batches

LEAD_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("nama", "contact", "kontak", "leadname", "namaprospek", "fullname"),
    "company": ("perusahaan", "companyname", "namaperusahaan", "organisation", "organization"),
    "email": ("emailaddress", "surel", "mail"),
    "phone": ("telepon", "telp", "nohp", "hp", "whatsapp", "wa", "mobile"),
    "source": ("sumber", "leadsource", "channel", "asal"),
    "stage": ("tahap", "status", "leadstage", "dealstage"),
    "value": ("nilai", "amount", "dealvalue", "nominal", "budget"),
    "expected_close": ("closedate", "expectedclose", "perkiraantutup", "targetclose"),
    "owner": ("pemilik", "salesperson", "assignedto", "owneremail", "sales"),
    "region": ("wilayah", "provinsi", "province", "area"),
    "pipeline": ("pipa", "pipelinename"),
    "lost_reason": ("alasangagal", "lossreason", "reasonlost"),
    "notes": ("catatan", "keterangan", "note", "description"),
    "created_at": ("created", "createddate", "tanggaldibuat", "dibuat", "date"),
    "history": ("stagehistory", "riwayat", "riwayattahap"),
}
_SOURCES = {"web": "website", "situs": "website", "referensi": "referral", "rekomendasi":
            "referral", "sosial media": "social", "media sosial": "social", "social media":
            "social", "acara": "event", "events": "event", "pameran": "event", "wa": "whatsapp",
            "email": "email marketing", "promo": "promotion", "promosi": "promotion",
            "datang langsung": "walk-in", "walk in": "walk-in", "konten": "content",
            "jejaring": "networking", "mitra": "partner", "telepon": "cold call"}  # fmt: skip
_STAGES = {"baru": "new", "dihubungi": "contacted", "sudah dihubungi": "contacted",
           "terkualifikasi": "qualified", "penawaran": "proposal", "negosiasi": "negotiation",
           "berhasil": "won", "menang": "won", "gagal": "lost", "kalah": "lost"}  # fmt: skip
_STEP = re.compile(
    r"^\s*([^\d:=@]+?)\s*[:=@ ]\s*(\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?)\s*$"
)


def _time(text: str, zone: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def built_in_stage(text: str) -> str | None:
    """A built-in stage however a file writes it: "Won", "menang", "gagal"."""
    chosen = parse_choice(text, _STAGES)
    return chosen if chosen in BUILT_IN else None


def parse_history(
    text: str, zone: str, stage_of: Callable[[str], str | None] = built_in_stage
) -> list[tuple[str, datetime]] | Message:
    """ "new 2026-01-02; contacted 2026-01-05 10:00" -> [(stage, UTC time)], oldest first;
    `stage_of` reads each step's stage (a pipeline's own stages too, by name)."""
    steps: list[tuple[str, datetime]] = []
    for part in [p for p in re.split(r"[;|>]", text) if p.strip()]:
        found = _STEP.match(part)
        at = _time(found.group(2), zone) if found else None
        stage = stage_of(found.group(1)) if found else None
        if at is None or stage is None:
            return msg("import.history_step", step=part.strip())
        steps.append((stage, at))
    if [at for _s, at in steps] != sorted(at for _s, at in steps):
        return msg("import.history_order")
    return steps


def preview_leads(
    session: Session,
    actor: Actor,
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    mode: ImportMode | str = ImportMode.CREATE_ONLY,
    match_key: MatchKey | str = MatchKey.EMAIL,
    zone: str | None = None,
) -> ImportPreview:
    """What importing these leads would do, row by row; nothing is written. Times without an
    offset are local to `zone`, else to the team's time zone."""
    zone = zone or team_settings(session).time_zone
    if ImportMode(mode) is not ImportMode.CREATE_ONLY:
        raise CRMError("import.leads_create_only")
    if not allowed(actor, Entity.LEAD, Action.CREATE):
        raise PermissionDenied(
            "error.permission", role=label(actor.role), action=label(Action.CREATE),
            entities=Message("entities.lead"),
        )  # fmt: skip
    check_mapping(frame, mapping, LEAD_FIELDS, {"name", "source"})
    records = mapped_records(frame, mapping)
    planner = _Planner(session, actor, sales_settings(session), zone, records)
    rows = [planner.plan(i + FIRST_LINE, raw) for i, raw in enumerate(records)]
    return ImportPreview(
        KIND, ImportMode.CREATE_ONLY, MatchKey(match_key), dict(mapping), frame,
        rows, {"zone": zone},
    )  # fmt: skip


class _Planner:
    def __init__(
        self, session: Session, actor: Actor, settings: SalesSettings, zone: str,
        records: list[dict[str, str]],
    ) -> None:  # fmt: skip
        self.session, self.actor, self.settings, self.zone = session, actor, settings, zone
        self.users = {
            key.lower(): uid
            for uid, username, email in session.execute(
                select(User.id, User.username, User.email).where(User.active.is_(True))
            )
            for key in (username, email)
        }
        emails = {r["email"].strip().lower() for r in records if r.get("email")}
        self.stored = self._stored(emails)
        self.seen: dict[str, int] = {}
        self.now = utcnow()

    def _stored(self, emails: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks(sorted(emails)):
            stmt = select(func.lower(Lead.email), Lead.id).where(
                func.lower(Lead.email).in_(chunk), Lead.deleted_at.is_(None)
            )
            found.update({str(e): int(i) for e, i in self.session.execute(stmt)})
        return found

    def plan(self, line: int, raw: dict[str, str]) -> RowOutcome:
        row = RowOutcome(line)
        if not raw:
            row.skip(RowStatus.EMPTY, msg("import.empty_row"))
            return row
        errors: dict[str, Message] = {}
        data: dict[str, Any] = {k: v for k, v in raw.items() if k in LeadIn.model_fields}
        if "source" in raw:
            data["source"] = parse_choice(raw["source"], _SOURCES)
        if "value" in raw:
            data["value"] = re.sub(r"(?i)^\s*(rp|idr)\.?\s*|[.,](?=\d{3}\b)", "", raw["value"])
        data["pipeline"] = raw.get("pipeline") or self.settings.pipelines[0]["key"]
        owner = raw.get("owner", "").strip().lower()
        data["owner_id"] = self.users.get(owner, -1) if owner else self.actor.id
        if owner and data["owner_id"] == -1:
            errors["owner"] = msg("import.no_user", who=raw["owner"])
        try:
            values = validate(LeadIn, data).model_dump()
        except ValidationError as exc:
            row.reject({**exc.field_errors, **errors})
            return row
        if data["pipeline"] not in {p["key"] for p in self.settings.pipelines}:
            errors["pipeline"] = msg("lead.no_pipeline", key=data["pipeline"])
        steps = self._steps(raw, values, errors)
        if errors:
            row.reject(errors)
            return row
        email = (values["email"] or "").lower()
        if email and email in self.stored:
            row.skip(RowStatus.DUPLICATE, msg("import.lead_exists", id=self.stored[email]))
            return row
        if email and email in self.seen:
            row.skip(
                RowStatus.DUPLICATE,
                msg("import.same_as_row", key=MatchKey.EMAIL.word, row=self.seen[email]),
            )
            return row
        if email:
            self.seen[email] = line
        row.values = {"lead": values, "steps": steps}
        return row

    def _stage_reader(self, pipeline: str) -> Callable[[str], str | None]:
        """A stage as the file writes it: a built-in one, or one of the pipeline's own by the
        name its manager gave it (any case) or by its key, as the export writes it."""
        own = {s["stage"]: s["name"] for s in self.settings.pipeline(pipeline)["stages"]
               if is_custom(s["stage"])}  # fmt: skip
        by_text = {key: key for key in own} | {str(n).casefold(): k for k, n in own.items() if n}

        def stage_of(text: str) -> str | None:
            return built_in_stage(text) or by_text.get(" ".join(text.split()).casefold())

        return stage_of

    def _stage_choices(self, pipeline: str) -> str:
        names = self.settings.stage_names()
        stages = [*self.settings.stages(pipeline), LeadStage.LOST.value]
        return ", ".join(names.get(stage, stage) for stage in stages)

    def _steps(
        self, raw: Mapping[str, str], values: dict[str, Any], errors: dict[str, Message]
    ) -> list[tuple[str, str]]:
        steps: list[tuple[str, datetime]] = []
        stage_of = self._stage_reader(values["pipeline"])
        if raw.get("history"):
            parsed = parse_history(raw["history"], self.zone, stage_of)
            if isinstance(parsed, Message):
                errors["history"] = parsed
                return []
            steps = parsed
        stage_text = raw.get("stage")
        stage = stage_of(stage_text) if stage_text else None
        if stage_text and stage is None:
            errors["stage"] = msg(
                "validation.one_of", choices=self._stage_choices(values["pipeline"])
            )
            return []
        created = _time(raw["created_at"], self.zone) if raw.get("created_at") else None
        if raw.get("created_at") and created is None:
            errors["created_at"] = msg("validation.date")
            return []
        start = created or (steps[0][1] if steps else self.now)
        if not steps or (stage is not None and steps[-1][0] != stage):
            first = self.settings.stages(values["pipeline"])[0]
            steps.append((stage or first, steps[-1][1] if steps else start))
        allowed_stages = {*self.settings.stages(values["pipeline"]), LeadStage.LOST.value}
        wrong = [s for s, _ in steps if s not in allowed_stages]
        if wrong:
            errors["stage"] = msg("lead.stage_not_in_pipeline", stage=stage_param(wrong[0]))
        lost = steps[-1][0] == LeadStage.LOST
        reason = raw.get("lost_reason")
        if lost and reason and reason not in self.settings.lost_reasons:
            errors["lost_reason"] = msg("validation.one_of",
                                        choices=", ".join(self.settings.lost_reasons))  # fmt: skip
        values["lost_reason"] = reason if lost else None
        values["created_at"] = min(start, steps[0][1])
        return [(s, at.isoformat()) for s, at in steps]


def commit_leads(
    session: Session,
    actor: Actor,
    preview: ImportPreview,
    filename: str,
    progress: Progress | None = None,
) -> ImportBatch:
    """Create the preview's valid leads with their history and record the batch."""
    fresh = preview_leads(session, actor, preview.frame, preview.mapping, preview.mode,
                          preview.match_key, **preview.options)  # fmt: skip
    if fresh.plan() != preview.plan():
        raise StalePreview("import.stale_leads")
    if fresh.valid == 0:
        raise CRMError("import.nothing_valid")
    batch = new_batch(session, actor, fresh, filename)
    undo: dict[str, Any] = {}
    write_leads(session, actor, batch, fresh.rows, fresh, undo, progress)
    return finish_batch(session, actor, batch, fresh, undo)


def write_leads(
    session: Session,
    actor: Actor,
    batch: ImportBatch,
    rows: list[RowOutcome],
    whole: ImportPreview,
    undo: dict[str, Any],
    progress: Progress | None = None,
) -> None:
    """Create planned leads with their history (a chunk of an import); `undo` gathers them."""
    todo = [r for r in rows if r.action is RowAction.CREATE]
    tick = progress_every(len(todo), progress)
    created: list[Any] = undo.setdefault("created", [])
    written: list[int] = []
    for done, row in enumerate(todo, start=1):
        values = dict(row.values["lead"])
        steps = [(s, datetime.fromisoformat(at)) for s, at in row.values["steps"]]
        created_at = values.pop("created_at")
        final, last_at = steps[-1]
        values |= {"stage": final, "closed_at": None if is_open(final) else last_at}
        lead = Lead(created_at=created_at, updated_at=last_at)
        writepath.insert(session, actor, Entity.LEAD, lead, values)
        before: str | None = None
        for stage, at in steps:
            session.add(LeadStageChange(lead_id=lead.id, from_stage=before, to_stage=stage,
                                        changed_at=at, actor_id=actor.id))  # fmt: skip
            before = stage
        row.record_id = lead.id
        created.append((lead.id, lead.version))
        written.append(lead.id)
        tick(done)
    facts.refresh(session, written)


def export_leads(session: Session, actor: Actor) -> pd.DataFrame:
    """Every lead the actor may see, in the columns this import reads back."""
    frame, _total = lead_list(session, actor, LeadFilter(), per_page=10_000_000)
    return frame[["name", "company", "stage", "source", "value", "expected_close", "region",
                  "pipeline", "created_at"]]  # fmt: skip


def revert_leads(session: Session, actor: Actor, report: Mapping[str, Any]) -> None:
    """The leads the import created are deleted with their history, unless one changed."""
    versions = {int(i): int(v) for i, v in report.get("created", [])}
    followed = session.scalar(select(Task.lead_id).where(Task.lead_id.in_(list(versions)[:500])))
    if followed is not None:  # a follow-up was made for it since: the work stays
        raise RevertRefused("revert.lead_changed", entity=Message("entity.lead"))
    lines = writepath.Lines(LeadStageChange, "lead_id", ())
    # Their lead_facts rows go with them (the cascade): the forecast's closed counts of their
    # keys are recounted here, in the same transaction.
    counted = closed.held_keys(session, versions)
    try:
        writepath.delete_for_good(session, actor, Entity.LEAD, Lead, versions, lines,
                                  audited=("name",))  # fmt: skip
    except ConflictError as exc:
        raise RevertRefused("revert.lead_changed", entity=Message(f"entity.{exc.entity}")) from None
    closed.recount(session, counted)
