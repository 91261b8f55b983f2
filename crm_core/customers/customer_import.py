"""Customer import: plan each CSV row (create, update or skip, and why), commit, export.

Matching and duplicate checks look stored customers up in bulk (one query per key and chunk of
values), so a 10,000-row file previews in seconds. Emails and phones are compared normalised:
"0812-3456-7890" in a file matches "+6281234567890" stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.customers import duplicates, fields
from crm_core.customers import records as customers
from crm_core.customers.duplicates import DuplicateKind
from crm_core.customers.fields import Widget
from crm_core.customers.inputs import CustomerIn
from crm_core.exchange import importing
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
from crm_core.kernel import audit
from crm_core.kernel.errors import ConflictError, CRMError, NotFound, ValidationError
from crm_core.kernel.inputs import normalize_email, normalize_phone, validate
from crm_core.kernel.messages import Message, msg
from crm_core.kernel.permissions import Action, Actor, allowed, read_filter
from crm_core.models import Customer, ImportBatch
from crm_core.models.enums import Entity

KIND = "customers"  # the importer's kind, stored on its batches


class _ImportFields(Mapping[str, tuple[str, ...]]):
    """field -> the CSV headers proposed for it (besides its name), as the declaration says at
    the moment of asking: the registry keeps this object from start-up on."""

    def _now(self) -> dict[str, tuple[str, ...]]:
        return {f.name: f.headers or () for f in fields.importable()}

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return self._now()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())


CUSTOMER_FIELDS: Mapping[str, tuple[str, ...]] = _ImportFields()


@dataclass(frozen=True)
class Known:
    """A stored customer as a lookup found it."""

    id: int
    name: str
    version: int
    owner_id: int | None
    deleted: bool

    def describe(self) -> Message:
        if self.deleted:
            return msg("import.deleted_customer", id=self.id, name=self.name)
        return msg("import.customer", id=self.id, name=self.name)


_YES = {"y", "ya", "yes", "true", "1", "benar", "setuju", "iya"}
_NO = {"n", "no", "tidak", "tdk", "false", "0", "salah", "gak", "nggak"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y/%m/%d")


def parse_bool(text: str) -> bool | str:
    """Yes/no in English or Indonesian (ya/tidak); the text itself if neither."""
    low = text.strip().lower()
    return True if low in _YES else False if low in _NO else text


def parse_date(text: str) -> date | str:
    """ISO or day-first (31/12/1990, as Indonesians write it); the text itself if neither."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return text


def coerce(raw: Mapping[str, str]) -> dict[str, Any]:
    """Cells as the schema reads them; what cannot be read stays text for validation to name."""
    declared = {f.name: f for f in fields.importable()}
    values: dict[str, Any] = {}
    for name, text in raw.items():
        widget = declared[name].widget if name in declared else Widget.TEXT
        if widget is Widget.CHOICE:
            values[name] = parse_choice(text, declared[name].values)
        elif widget is Widget.DATE:
            values[name] = parse_date(text)
        elif widget is Widget.YES_NO:
            values[name] = parse_bool(text)
        else:  # text; tags are split by the validator, as a form's are
            values[name] = text
    return values


def row_keys(values: Mapping[str, Any]) -> dict[MatchKey, str]:
    """The normalised email, phone and external id of a row (those it has and that parse)."""
    keys: dict[MatchKey, str] = {}
    if values.get("email"):
        keys[MatchKey.EMAIL] = normalize_email(str(values["email"]))
    if values.get("phone"):
        with suppress(ValueError):  # validation reports a bad number
            keys[MatchKey.PHONE] = normalize_phone(str(values["phone"]))
    if values.get("external_id"):
        keys[MatchKey.EXTERNAL_ID] = str(values["external_id"]).strip()
    # A key no customer can have (PostgreSQL stores no NUL) is not looked up: validation
    # reports the cell.
    return {kind: key for kind, key in keys.items() if "\x00" not in key}


def lookup(session: Session, key: MatchKey, values: set[str]) -> dict[str, list[Known]]:
    """Stored customers by normalised key, in bulk. External ids count even when deleted (the
    column is unique); emails and phones, as for every likely duplicate, only live customers."""
    if key is not MatchKey.EXTERNAL_ID:
        return _known(duplicates.stored(session, DuplicateKind(key.value), values))
    found: dict[str, list[Known]] = defaultdict(list)
    for chunk in chunks(sorted(values)):
        stmt = select(
            Customer.external_id, Customer.id, Customer.name, Customer.version,
            Customer.owner_id, Customer.deleted_at,
        ).where(Customer.external_id.in_(chunk)).order_by(Customer.id)  # fmt: skip
        for value, customer_id, name, version, owner_id, deleted_at in session.execute(stmt):
            assert value is not None  # `external_id IN (...)` never matches NULL
            found[value].append(
                Known(customer_id, name, version, owner_id, deleted=deleted_at is not None)
            )
    return found


def _known(found: Mapping[str, list[duplicates.Stored]]) -> dict[str, list[Known]]:
    return {
        key: [Known(h.id, h.name, h.version, h.owner_id, deleted=False) for h in hits]
        for key, hits in found.items()
    }


def current_values(session: Session, ids: set[int]) -> dict[int, dict[str, Any]]:
    """The editable fields of the customers an import would update, in bulk."""
    names = fields.editable_names()
    columns = [getattr(Customer, f) for f in names]
    found: dict[int, dict[str, Any]] = {}
    for chunk in chunks(sorted(ids)):
        for row in session.execute(select(Customer.id, *columns).where(Customer.id.in_(chunk))):
            found[row.id] = dict(zip(names, row[1:], strict=True))
    return found


def preview_customers(
    session: Session,
    actor: Actor,
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    mode: ImportMode | str,
    match_key: MatchKey | str,
) -> ImportPreview:
    """What importing `frame` would do, row by row; nothing is written."""
    mode, match_key = ImportMode(mode), MatchKey(match_key)
    required = {"name"} if mode is ImportMode.CREATE_ONLY else set()
    if mode is not ImportMode.CREATE_ONLY:
        required.add(match_key.value)
    check_mapping(frame, mapping, CUSTOMER_FIELDS, required)
    parsed = [coerce(raw) for raw in mapped_records(frame, mapping)]
    keys = [row_keys(values) for values in parsed]
    known: dict[str, Any] = {
        k: lookup(session, k, {ks[k] for ks in keys if k in ks}) for k in MatchKey
    }
    planner = _Planner(actor, mode, match_key, known)
    targets = [planner.target(ks) for ks in keys]
    planner.current = current_values(session, {t.id for t in targets if t})
    _same_company(session, planner, parsed, targets)
    rows = [
        planner.plan(i + FIRST_LINE, v, k)
        for i, (v, k) in enumerate(zip(parsed, keys, strict=True))
    ]
    return ImportPreview(KIND, mode, match_key, dict(mapping), frame, rows)


def _same_company(
    session: Session, planner: _Planner, parsed: list[dict[str, Any]], targets: list[Any]
) -> None:
    """Look up, in bulk, who has the name at the company that each row would have. Only rows
    that update a customer at an account have a company (an import does not set accounts)."""
    current = [planner.current.get(t.id, {}) if t else {} for t in targets]
    planner.companies = duplicates.company_names(session, {c.get("account_id") for c in current})
    pairs: set[str] = set()
    for values, now in zip(parsed, current, strict=True):
        company = planner.companies.get(now["account_id"]) if now.get("account_id") else None
        pair = duplicates.name_and_company(values.get("name") or now.get("name"), company)
        if pair:
            pairs.add(pair)
    found = duplicates.stored(session, DuplicateKind.NAME_AND_COMPANY, pairs)
    planner.known[DuplicateKind.NAME_AND_COMPANY] = _known(found)


class _Planner:
    """Decides each row in file order, remembering the keys of rows already planned."""

    def __init__(
        self, actor: Actor, mode: ImportMode, key: MatchKey, known: dict[str, Any]
    ) -> None:
        self.actor, self.mode, self.key, self.known = actor, mode, key, known
        self.current: dict[int, dict[str, Any]] = {}
        self.companies: dict[int, str] = {}  # account id -> name, of the customers updated
        self.seen: dict[str, dict[str, int]] = defaultdict(dict)  # kind -> key -> line

    def target(self, keys: Mapping[MatchKey, str]) -> Known | None:
        """The one live customer this row updates, if the mode updates and the key matches."""
        if self.mode is ImportMode.CREATE_ONLY or self.key not in keys:
            return None
        hits = self.known[self.key].get(keys[self.key], [])
        return hits[0] if len(hits) == 1 and not hits[0].deleted else None

    def plan(self, line: int, values: dict[str, Any], keys: dict[MatchKey, str]) -> RowOutcome:
        outcome = RowOutcome(line, values=values)
        if not values:
            outcome.skip(RowStatus.EMPTY, msg("import.empty_row"))
            return outcome
        target = self.target(keys)
        if target is None and self.mode is ImportMode.UPDATE_ONLY:
            try:  # the row's own cells, so a bad email is "bad", not "no match"
                validate(CustomerIn, {"name": "-", **values})
            except ValidationError as exc:
                outcome.reject(exc.field_errors)
                return outcome
        unmatched = target is None and self.mode is not ImportMode.CREATE_ONLY
        if unmatched and self._unmatched(outcome, keys):
            return outcome
        current = self.current.get(target.id, {}) if target else {}
        try:
            model = validate(CustomerIn, {**current, **values})
        except ValidationError as exc:
            outcome.reject(exc.field_errors)
            return outcome
        if not self._permitted(outcome, target):
            return outcome
        stored_keys = self._keys(model)
        reasons = self._duplicates(stored_keys, target)
        if reasons:
            outcome.skip(RowStatus.DUPLICATE, *reasons)
            return outcome
        for k, v in stored_keys.items():
            self.seen[k].setdefault(v, line)
        if target is not None:
            outcome.action, outcome.target_id = RowAction.UPDATE, target.id
            outcome.target_version = target.version
            dumped = model.model_dump()
            if all(dumped[f] == current.get(f) for f in values):
                outcome.skip(RowStatus.UNCHANGED, msg("import.unchanged", id=target.id))
        return outcome

    def _unmatched(self, outcome: RowOutcome, keys: Mapping[MatchKey, str]) -> bool:
        """Handle a row of an updating import that found no customer; False: create it."""
        word, value = self.key.word, keys.get(self.key)
        hits = self.known[self.key].get(value, []) if value else []
        if len(hits) > 1:
            listed = msg("format.joined_comma", parts=[h.describe() for h in hits])
            outcome.skip(RowStatus.DUPLICATE, msg("import.several", key=word, listed=listed))
        elif hits:
            outcome.skip(
                RowStatus.DUPLICATE, msg("import.same_as", key=word, who=hits[0].describe())
            )
        elif self.mode is not ImportMode.UPDATE_ONLY:
            return False
        elif value is None:
            outcome.reject({self.key.value: msg("import.key_needed")})
        else:
            outcome.skip(RowStatus.UNMATCHED, msg("import.no_match", key=word, value=value))
        return True

    def _permitted(self, outcome: RowOutcome, target: Known | None) -> bool:
        action = Action.UPDATE if target else Action.CREATE
        record = SimpleNamespace(owner_id=target.owner_id) if target else None
        if allowed(self.actor, Entity.CUSTOMER, action, record):
            return True
        if target:
            problem = msg("import.cannot_update", id=target.id)
        else:
            problem = msg("import.cannot_create")
        outcome.reject({"permission": problem})
        return False

    def _keys(self, model: CustomerIn) -> dict[str, str]:
        """The row's keys as it would be stored: those of a likely duplicate (the one
        definition), and its external id, which the database keeps unique."""
        company = self.companies.get(model.account_id) if model.account_id else None
        found = duplicates.keys_of(
            email=model.email, phone=model.phone, name=model.name, company=company
        )
        keys = {kind.value: key for kind, key in found.items()}
        if model.external_id:
            keys[MatchKey.EXTERNAL_ID] = model.external_id
        return keys

    def _duplicates(self, keys: Mapping[str, str], target: Known | None) -> list[Message]:
        """Why the row is likely a customer we have, or one an earlier line of the file has."""
        reasons = []
        for kind, value in keys.items():
            word = Message(f"key.{kind}")  # key.email, key.name and company, key.external_id
            hits = [h for h in self.known[kind].get(value, []) if not target or h.id != target.id]
            reasons += [msg("import.same_as", key=word, who=h.describe()) for h in hits[:3]]
            if value in self.seen[kind]:
                reasons.append(msg("import.same_as_row", key=word, row=self.seen[kind][value]))
        return reasons


def commit_customers(
    session: Session,
    actor: Actor,
    preview: ImportPreview,
    filename: str,
    progress: Progress | None = None,
) -> ImportBatch:
    """Write the preview's valid rows in the caller's transaction and record the batch.

    The rows are planned again first: if stored customers changed since the preview so that
    any row would be handled differently, StalePreview is raised and nothing is written.
    """
    fresh = preview_customers(
        session, actor, preview.frame, preview.mapping, preview.mode, preview.match_key
    )
    if changed := importing.changed_rows(fresh, preview):
        rows = importing.rows_named(changed)
        raise StalePreview("import.stale_customers", n=len(changed), rows=rows)
    if fresh.valid == 0:
        raise CRMError("import.nothing_valid")
    batch = new_batch(session, actor, fresh, filename)
    undo: dict[str, Any] = {}
    write_customers(session, actor, batch, fresh.rows, fresh, undo, progress)
    return finish_batch(session, actor, batch, fresh, undo)


def write_customers(
    session: Session,
    actor: Actor,
    batch: ImportBatch,
    rows: list[RowOutcome],
    whole: ImportPreview,
    undo: dict[str, Any],
    progress: Progress | None = None,
) -> None:
    """Write planned rows (a chunk of an import) through the write path; `undo` gathers what
    a revert needs."""
    undo.setdefault("created", [])
    undo.setdefault("updated", [])
    tick = progress_every(len(rows), progress)
    # Each write flushes itself; autoflush before the write path's own reads only adds flushes.
    with session.no_autoflush:
        for done, row in enumerate(rows, start=1):
            _write(session, actor, row, undo)
            tick(done)


def _write(session: Session, actor: Actor, row: RowOutcome, undo: dict[str, list[Any]]) -> None:
    """One planned row through the write path; `undo` gathers what a revert needs."""
    if row.action is RowAction.CREATE:
        # The plan already set likely duplicates aside, of stored customers and earlier lines,
        # by the same definition; asking again per row would only slow a long import down.
        customer = customers.create_customer(session, actor, row.values, allow_duplicate=True)
        row.record_id = customer.id
        undo["created"].append((customer.id, customer.version))
    elif row.action is RowAction.UPDATE and row.target_id and row.target_version:
        changes = customers.update_customer(
            session, actor, row.target_id, row.target_version, row.values
        )
        row.record_id = row.target_id
        before = {f: audit.to_json_value(old) for f, (old, _new) in changes.items()
                  if f in fields.editable_names()}  # fmt: skip
        if before:  # an update that changed nothing has nothing to undo
            updated = session.get(Customer, row.target_id)
            assert updated is not None  # updated just above, so in the session
            undo["updated"].append(
                {"id": row.target_id, "version": updated.version, "before": before}
            )


def export_customers(session: Session, actor: Actor) -> pd.DataFrame:
    """Live customers in the columns the import reads back (the actor's read scope applies)."""
    exported = [f for f in fields.importable() if f.name != "external_id"]
    columns = [
        Customer.id.label("relasi_id"),
        Customer.external_id,
        *(getattr(Customer, f.name).label(f.name) for f in exported),
    ]
    stmt = (
        select(*columns)
        .where(
            Customer.deleted_at.is_(None), read_filter(actor, Entity.CUSTOMER, Customer.owner_id)
        )
        .order_by(Customer.id)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=[c.key for c in columns])
    for f in exported:
        frame[f.name] = frame[f.name].map(_EXPORTED.get(f.widget, _as_is))
    return frame


def _as_is(value: Any) -> Any:
    return value


_EXPORTED = {  # a cell as the import reads it back
    Widget.CHOICE: lambda v: str(v) if isinstance(v, str) else None,
    Widget.TAGS: lambda tags: ", ".join(tags or []),
    Widget.DATE: lambda d: d.isoformat() if d is not None else None,
}


def revert_customers(session: Session, actor: Actor, report: Mapping[str, Any]) -> None:
    """Created customers soft-deleted, updated ones put back as they were before the import."""
    customer_id = 0
    try:
        for customer_id, version in report.get("created", []):
            try:
                customers.delete_customer(session, actor, customer_id, version)
            except NotFound:
                continue  # deleted since: already what the revert wants
        for item in report.get("updated", []):
            customer_id = item["id"]
            customers.update_customer(session, actor, customer_id, item["version"], item["before"])
    except ConflictError as exc:
        who: Any = exc.changed_by or msg("error.conflict.someone")
        if exc.changed_at is None:
            raise RevertRefused("revert.changed", id=customer_id, who=who) from None
        raise RevertRefused(
            "revert.changed_at", id=customer_id, who=who, at=exc.changed_at
        ) from None
    except NotFound:
        raise RevertRefused("revert.deleted", id=customer_id) from None
