"""Ticket import: one row per ticket from another helpdesk, with its history's moments (created,
first response, resolved), planned line by line, committed with its events, reverted whole.

Each row finds its customer by email, phone or external id, its agent by username; its SLA due
times are set from the priority's targets at its creation time, as a new ticket's would be.
A row of the same customer, subject and creation time as a stored ticket (or an earlier row)
is a duplicate. Tickets are only ever created (mode create only).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.customers import read as customers
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
from crm_core.kernel.calendar import add_working_time
from crm_core.kernel.errors import ConflictError, CRMError, PermissionDenied, ValidationError
from crm_core.kernel.inputs import _Input, normalize_email, normalize_phone, validate
from crm_core.kernel.messages import N_, Message, label, msg
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.kernel.settings import team_settings
from crm_core.models import Customer, ImportBatch, Ticket, TicketEvent, User
from crm_core.models.enums import (
    Channel,
    Entity,
    Priority,
    TicketCategory,
    TicketEventKind,
    TicketStatus,
)
from crm_core.service import sla
from crm_core.service.inputs import TICKET_CHANNELS

KIND = "tickets"  # the importer's kind, stored on its batches

CUSTOMER_FIELD = {
    MatchKey.EMAIL: "customer_email",
    MatchKey.PHONE: "customer_phone",
    MatchKey.EXTERNAL_ID: "customer_external_id",
}
TICKET_FIELDS: dict[str, tuple[str, ...]] = {
    "customer_email": ("email", "emailpelanggan", "customeremail", "requesteremail"),
    "customer_phone": ("phone", "telepon", "nohp", "hp", "whatsapp", "wa", "customerphone"),
    "customer_external_id": ("customerid", "idpelanggan", "kodepelanggan"),
    "subject": ("judul", "subjek", "perihal", "title", "topic"),
    "body": ("description", "deskripsi", "isi", "pesan", "message", "keluhan"),
    "channel": ("saluran", "kanal", "via", "source"),
    "category": ("kategori", "type", "jenis"),
    "priority": ("prioritas", "urgency"),
    "status": ("statustiket", "state"),
    "created_at": ("created", "createdat", "dibuat", "tanggal", "date", "opened", "openedat"),
    "first_response_at": ("firstresponse", "firstresponseat", "firstreply", "responsepertama"),
    "resolved_at": ("resolved", "resolvedat", "solved", "solvedat", "selesai", "closedat"),
    "assignee": ("agent", "agen", "assignee", "assignedto", "petugas", "username"),
    "csat": ("rating", "satisfaction", "nilai", "kepuasan", "score"),
}
_CHANNELS = {
    "wa": "whatsapp",
    "telepon": "phone",
    "telp": "phone",
    "surel": "email",
    "mail": "email",
    "website": "web",
    "form": "web",
    "livechat": "chat",
    "media sosial": "social",
    "instagram": "social",
    "facebook": "social",
}
_PRIORITIES = {
    "rendah": "low",
    "sedang": "normal",
    "tinggi": "high",
    "mendesak": "urgent",
    "medium": "normal",
}
_STATUSES = {
    "baru": "new",
    "terbuka": "open",
    "menunggu": "pending",
    "selesai": "resolved",
    "solved": "resolved",
    "ditutup": "closed",
}
_CATEGORIES = {
    "tagihan": "billing",
    "pengiriman": "delivery",
    "produk": "product",
    "teknis": "technical",
    "akun": "account",
    "lainnya": "other",
}


class TicketRowIn(_Input):
    subject: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20_000)
    channel: Channel = Channel.EMAIL
    category: TicketCategory = TicketCategory.OTHER
    priority: Priority = Priority.NORMAL
    status: TicketStatus = TicketStatus.RESOLVED
    created_at: datetime
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    csat: int | None = Field(default=None, ge=1, le=5)

    @field_validator("created_at", "first_response_at", "resolved_at")
    @classmethod
    def _naive_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC).replace(tzinfo=None) if value and value.tzinfo else value


def _parse_time(text: str, zone: str) -> datetime | str:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))


def _coerce(raw: Mapping[str, str], zone: str) -> dict[str, Any]:
    values: dict[str, Any] = dict(raw)
    for field in ("created_at", "first_response_at", "resolved_at"):
        if field in raw:
            values[field] = _parse_time(raw[field], zone)
    for field, synonyms in (
        ("channel", _CHANNELS),
        ("priority", _PRIORITIES),
        ("status", _STATUSES),
        ("category", _CATEGORIES),
    ):
        if field in raw:
            values[field] = parse_choice(raw[field], synonyms)
    return values


def _customer_key(key: MatchKey, value: str) -> str | None:
    try:
        if key is MatchKey.EMAIL:
            return normalize_email(value)
        if key is MatchKey.PHONE:
            return normalize_phone(value)
    except ValueError:
        return None
    return value.strip() or None


def _customers(session: Session, key: MatchKey, values: set[str]) -> dict[str, list[int]]:
    column = {
        MatchKey.EMAIL: Customer.email_normalized,
        MatchKey.PHONE: Customer.phone_normalized,
        MatchKey.EXTERNAL_ID: Customer.external_id,
    }[key]
    found: dict[str, list[int]] = {}
    for chunk in chunks(sorted(values)):
        stmt = select(column, Customer.id).where(column.in_(chunk), Customer.deleted_at.is_(None))
        for value, customer_id in session.execute(stmt):
            found.setdefault(str(value), []).append(customer_id)
    return found


def preview_tickets(
    session: Session,
    actor: Actor,
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    mode: ImportMode | str = ImportMode.CREATE_ONLY,
    match_key: MatchKey | str = MatchKey.EMAIL,
    zone: str | None = None,
) -> ImportPreview:
    """What importing these tickets would do, row by row; nothing is written. A time without
    an offset is local to `zone`, else to the team's time zone."""
    zone = zone or team_settings(session).time_zone
    mode, match_key = ImportMode(mode), MatchKey(match_key)
    if mode is not ImportMode.CREATE_ONLY:
        raise CRMError("import.tickets_create_only")
    if not allowed(actor, Entity.TICKET, Action.CREATE):
        raise PermissionDenied(
            "error.permission",
            role=label(actor.role),
            action=label(Action.CREATE),
            entities=Message("entities.ticket"),
        )
    check_mapping(
        frame, mapping, TICKET_FIELDS, {CUSTOMER_FIELD[match_key], "subject", "created_at"}
    )
    parsed = [_coerce(raw, zone) for raw in mapped_records(frame, mapping)]
    field = CUSTOMER_FIELD[match_key]
    keys = [_customer_key(match_key, v[field]) if v.get(field) else None for v in parsed]
    customers = _customers(session, match_key, {k for k in keys if k})
    names = {str(v["assignee"]).strip().lower() for v in parsed if v.get("assignee")}
    found = session.execute(select(User.username, User.id).where(User.username.in_(names)))
    agents = {username: user_id for username, user_id in found}
    rows = [RowOutcome(i + FIRST_LINE) for i in range(len(parsed))]
    seen: dict[tuple[Any, ...], int] = {}
    for row, values, key in zip(rows, parsed, keys, strict=True):
        _plan(row, values, key, field, customers, agents)
        if row.status is RowStatus.OK:
            same = (row.target_id, row.values["subject"], row.values["created_at"])
            if same in seen:
                row.skip(RowStatus.DUPLICATE, msg("import.same_line_as_row", row=seen[same]))
            else:
                seen[same] = row.row
    _stored_duplicates(session, [r for r in rows if r.status is RowStatus.OK])
    return ImportPreview(KIND, mode, match_key, dict(mapping), frame, rows, {"zone": zone})


def _plan(
    row: RowOutcome,
    values: dict[str, Any],
    key: str | None,
    field: str,
    customers: Mapping[str, list[int]],
    agents: Mapping[str, int],
) -> None:
    if not values:
        row.skip(RowStatus.EMPTY, msg("import.empty_row"))
        return
    errors: dict[str, Message] = {}
    own = {f: v for f, v in values.items() if f in TicketRowIn.model_fields}
    try:
        held = validate(TicketRowIn, own).model_dump()
    except ValidationError as exc:
        errors.update(exc.field_errors)
        held = {}
    if held and held["channel"] not in TICKET_CHANNELS:
        errors["channel"] = msg("validation.one_of", choices=", ".join(TICKET_CHANNELS))
    for later in ("first_response_at", "resolved_at"):
        if held.get(later) and held[later] < held["created_at"]:
            errors[later] = msg("import.before_created")
    hits = customers.get(key, []) if key else []
    if key is None:
        problem = N_("validation.not_valid") if values.get(field) else N_("validation.required")
        errors[field] = msg(problem)
    elif len(hits) != 1:
        code = "import.no_match" if not hits else "import.several"
        listed = ", ".join(f"#{h}" for h in hits)
        errors[field] = msg(
            code, key=Message(f"key.{field.removeprefix('customer_')}"), value=key, listed=listed
        )
    assignee = values.get("assignee")
    if assignee and str(assignee).strip().lower() not in agents:
        errors["assignee"] = msg("import.no_user", username=str(assignee))
    if errors:
        row.reject(errors)
        return
    row.target_id = hits[0]
    held["customer_id"] = hits[0]
    held["assignee_id"] = agents.get(str(assignee).strip().lower()) if assignee else None
    row.values = held


def _stored_duplicates(session: Session, rows: list[RowOutcome]) -> None:
    stamps = {(r.target_id, r.values["created_at"]) for r in rows}
    stored: dict[tuple[Any, ...], int] = {}
    for chunk in chunks(sorted(stamps, key=str)):
        stmt = select(Ticket.customer_id, Ticket.created_at, Ticket.subject, Ticket.id).where(
            Ticket.customer_id.in_({c for c, _ in chunk}),
            Ticket.created_at.in_({t for _, t in chunk}),
            Ticket.deleted_at.is_(None),
        )
        stored.update({(c, t, s): i for c, t, s, i in session.execute(stmt)})
    for row in rows:
        same = (row.target_id, row.values["created_at"], row.values["subject"])
        if same in stored:
            row.skip(RowStatus.DUPLICATE, msg("import.ticket_exists", id=stored[same]))


def commit_tickets(
    session: Session,
    actor: Actor,
    preview: ImportPreview,
    filename: str,
    progress: Progress | None = None,
) -> ImportBatch:
    """Create the preview's valid tickets with their due times and events, and the batch."""
    fresh = preview_tickets(
        session,
        actor,
        preview.frame,
        preview.mapping,
        preview.mode,
        preview.match_key,
        **preview.options,
    )
    if fresh.plan() != preview.plan():
        raise StalePreview("import.stale_tickets")
    if fresh.valid == 0:
        raise CRMError("import.nothing_valid")
    batch = new_batch(session, actor, fresh, filename)
    undo: dict[str, Any] = {}
    write_tickets(session, actor, batch, fresh.rows, fresh, undo, progress)
    return finish_batch(session, actor, batch, fresh, undo)


def write_tickets(
    session: Session,
    actor: Actor,
    batch: ImportBatch,
    rows: list[RowOutcome],
    whole: ImportPreview,
    undo: dict[str, Any],
    progress: Progress | None = None,
) -> None:
    """Create planned tickets with due times and events (a chunk of an import)."""
    settings, policy = team_settings(session), sla.sla_policy(session)
    created: list[Any] = undo.setdefault("created", [])
    todo = [r for r in rows if r.action is RowAction.CREATE]
    tiers = customers.stored_tiers(session, {int(r.values["customer_id"]) for r in todo})
    tick = progress_every(len(todo), progress)
    for done, row in enumerate(todo, start=1):
        values = dict(row.values)
        values["customer_tier"] = tiers.get(int(values["customer_id"]))
        target = policy.target(values["priority"], values["customer_tier"])
        values["first_response_due"] = add_working_time(
            settings, values["created_at"], target.first_response
        )
        values["resolution_due"] = sla.resolution_due(settings, target, values["created_at"])
        values["updated_at"] = values["created_at"]
        ticket = writepath.insert(session, actor, Entity.TICKET, Ticket(), values)
        _history(session, actor, ticket)
        created.append((ticket.id, ticket.version))
        row.record_id = ticket.id
        tick(done)


def _history(session: Session, actor: Actor, ticket: Ticket) -> None:
    """The events the file's moments stand for: the first reply, the resolution, the status."""
    events = []
    if ticket.first_response_at is not None:
        events.append((ticket.first_response_at, TicketEventKind.STATUS, "new", "open"))
    if ticket.resolved_at is not None:
        events.append((ticket.resolved_at, TicketEventKind.STATUS, "open", "resolved"))
    if ticket.status not in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.RESOLVED):
        last = ticket.resolved_at or ticket.first_response_at or ticket.created_at
        events.append(
            (last, TicketEventKind.STATUS, events[-1][3] if events else "new", ticket.status.value)
        )
    for at, kind, old, new in events:
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=at,
                actor_id=actor.id,
                kind=kind,
                from_value=old,
                to_value=new,
            )
        )


def export_tickets(session: Session, actor: Actor) -> pd.DataFrame:
    """Every ticket the actor may read, in the columns this import reads back."""
    stmt = (
        select(
            Customer.email.label("customer_email"),
            Ticket.subject,
            Ticket.body,
            Ticket.channel,
            Ticket.category,
            Ticket.priority,
            Ticket.status,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.resolved_at,
            User.username.label("assignee"),
            Ticket.csat,
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(Ticket.deleted_at.is_(None))
        .order_by(Ticket.id)
    )
    frame = pd.DataFrame(
        session.execute(stmt).all(), columns=[c.name for c in stmt.selected_columns]
    )
    for column in ("created_at", "first_response_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return frame


def revert_tickets(session: Session, actor: Actor, report: Mapping[str, Any]) -> None:
    """The tickets the import created are deleted with their events, unless one changed."""
    versions = {int(i): int(v) for i, v in report.get("created", [])}
    lines = writepath.Lines(TicketEvent, "ticket_id", ())
    try:
        writepath.delete_for_good(
            session, actor, Entity.TICKET, Ticket, versions, lines, ("subject", "customer_id")
        )
    except ConflictError as exc:
        raise RevertRefused(
            "revert.ticket_changed", entity=Message(f"entity.{exc.entity}")
        ) from None
