"""An import commits in chunks: editors and sign-ins go on between them, a chunk that fails
takes the whole import back, and an import whose process died is reverted by the next one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from crm_core.admin import sign_in, users
from crm_core.customers import records
from crm_core.exchange import chunks, importing
from crm_core.exchange.importing import ImportPreview, StalePreview
from crm_core.exchange.registry import importer
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Actor
from crm_core.models import AuditEntry, Customer, ImportBatch, Order, utcnow
from crm_core.models.enums import Role
from db.engine import make_engine
from db.session import session_scope
from support import PASSWORD, page_as

ROWS, CHUNK = 450, 100  # five chunks


def customers_csv(rows: int = ROWS, prefix: str = "p") -> bytes:
    lines = "".join(f"Pelanggan {i},{prefix}{i}@example.com\n" for i in range(rows))
    return ("name,email\n" + lines).encode()


def previewed(engine: Engine, actor: Actor, kind: str, csv: bytes, **options: Any) -> ImportPreview:
    frame = importing.read_csv(csv)
    mapping = importing.suggest_mapping(frame.columns, importer(kind).fields)
    with session_scope(engine, write=False) as s:
        found: ImportPreview = importer(kind).preview(
            s, actor, frame, mapping, "create_only", "email", **options
        )
    return found


def count(engine: Engine, stmt: Any) -> int:
    with session_scope(engine, write=False) as s:
        return int(s.scalar(stmt) or 0)


def live_customers(engine: Engine) -> int:
    return count(engine, select(func.count()).where(Customer.deleted_at.is_(None)))


def test_an_editor_saves_and_a_user_signs_in_between_the_chunks_of_a_long_import(
    engine: Engine, admin: Actor, manager: Actor
) -> None:
    with session_scope(engine) as s:
        edited = records.create_customer(s, manager, {"name": "Ibu Sari"})
    preview = previewed(engine, admin, "customers", customers_csv())
    waits: list[float] = []

    def meanwhile(chunk: int) -> None:
        # The import's thread is here, its chunk committed: were the write lock still held (one
        # transaction for the file), this save would queue behind it and fail after the
        # busy timeout.
        started = time.perf_counter()
        with session_scope(engine) as s:
            fresh = s.get(Customer, edited.id)
            assert fresh is not None
            records.update_customer(s, manager, edited.id, fresh.version, {"city": f"Kota {chunk}"})
            users.record_login(s, manager.username, utcnow())
        waits.append(time.perf_counter() - started)

    with session_scope(engine) as s:
        batch = importer("customers").write(
            s, admin, preview, "p.csv", chunk_rows=CHUNK, between=meanwhile
        )
        batch_id = batch.id
    assert len(waits) == 4 and max(waits) < 2  # after chunks 1 to 4 of 5
    assert live_customers(engine) == ROWS + 1
    with session_scope(engine, write=False) as s:
        stored = s.get(ImportBatch, batch_id)
        assert stored is not None and stored.state == chunks.DONE
        assert stored.report["counts"]["create"] == ROWS and len(stored.report["created"]) == ROWS
        assert s.get(Customer, edited.id).city == "Kota 4"  # type: ignore[union-attr]
        shown = importing.list_imports(s, admin)
    assert shown.loc[0, "state"] == chunks.DONE and shown.loc[0, "create"] == ROWS


def _fail_at(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real = records.create_customer

    def create(session: Any, actor: Actor, data: Any, **kw: Any) -> Customer:
        if data.get("name") == name:
            raise CRMError("import.nothing_valid")  # any write-path refusal, mid-import
        return real(session, actor, data, **kw)

    monkeypatch.setattr(records, "create_customer", create)


LONG = 3_000  # an import of some seconds, sized by time as the page's is


def _timed(waits: list[float], refused: list[str], work: Callable[[], object]) -> None:
    started = time.perf_counter()
    try:
        if work() is None:  # a sign-in answered "incorrect"
            refused.append("sign-in refused")
    except Exception as exc:  # noqa: BLE001 - "database is locked" or any refusal is the bug
        refused.append(repr(exc))
    waits.append(time.perf_counter() - started)


def test_an_editor_and_a_sign_in_in_other_threads_go_between_the_chunks_of_a_long_import(
    engine: Engine, admin: Actor, manager: Actor
) -> None:
    """Issue 9 item 5, as it happens: the import, an editor and a sign-in each in a thread
    and on a connection of their own, the import sized by time (no hook of its own)."""
    with session_scope(engine) as s:
        edited = records.create_customer(s, manager, {"name": "Ibu Sari"}).id
    preview = previewed(engine, admin, "customers", customers_csv(LONG))
    other = make_engine(engine.url.render_as_string(hide_password=False))  # another server
    done, finished = threading.Event(), []
    saves: list[float] = []
    sign_ins: list[float] = []
    refused: list[str] = []

    def run_import() -> None:
        try:
            with session_scope(engine) as s:
                finished.append(importer("customers").write(s, admin, preview, "big.csv").id)
        finally:
            done.set()

    def save() -> object:
        with session_scope(other) as s:
            fresh = s.get(Customer, edited)
            assert fresh is not None
            city = f"Kota {len(saves)}"
            return records.update_customer(s, manager, edited, fresh.version, {"city": city})

    def sign_in_once() -> object:  # as the sign-in form does: count the try, then check
        with session_scope(other) as s:
            counted = sign_in.count_try(s, manager.username, utcnow())
        with session_scope(other) as s:
            return sign_in.check_password(s, manager.username, PASSWORD, counted, utcnow())

    def editor() -> None:
        while not done.is_set():
            _timed(saves, refused, save)
            time.sleep(0.1)

    threads = [threading.Thread(target=run_import), threading.Thread(target=editor)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while not done.is_set():
        _timed(sign_ins, refused, sign_in_once)
        time.sleep(0.2)
    for thread in threads:
        thread.join(timeout=60)
    took = time.perf_counter() - started
    other.dispose()
    assert finished, "the import did not complete"
    assert took > 1 and len(saves) >= 5 and len(sign_ins) >= 3  # they met the import
    assert refused == []
    # Between chunks, not after the import: one transaction kept them waiting for all of it
    # (over 10 s here). The 2 s goal itself is measured by bench.imports, on a quiet machine:
    # a timed bound this tight failed here while the browser tests shared the two cores.
    assert max(saves) < 5 and max(sign_ins) < 5, (max(saves), max(sign_ins), took)
    assert live_customers(engine) == LONG + 1
    with session_scope(engine, write=False) as s:
        batch = s.get(ImportBatch, finished[0])
        assert batch is not None and batch.state == chunks.DONE
        assert s.get_one(Customer, edited).city == f"Kota {len(saves) - 1}"  # the last save


def test_a_large_import_gives_its_memory_back_once_it_is_written(
    app_engine: Engine, staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9 item 5: a big file's cells stayed the server's after the import (490 MB ->
    1,347 MB); the page drops the file and its preview, then hands the memory back."""
    from app_pages.customers import import_data

    given_back: list[int] = []
    monkeypatch.setattr(
        import_data, "give_memory_back", lambda: given_back.append(live_customers(app_engine))
    )
    at = page_as("import", staff[Role.MANAGER]).run()
    at.file_uploader(key="import_file").set_value(("big.csv", customers_csv(2_000), "text/csv"))
    at.run()
    at.button(key="import_preview_button").click().run()
    assert given_back == []  # the file is still needed until it is imported
    at.button(key="import_commit").click().run()
    assert not at.exception
    assert given_back == [2_000]  # once, with every row written
    assert "Preview" not in [h.value for h in at.subheader]  # and the preview is gone


def test_a_failure_in_the_third_chunk_leaves_no_customer_of_the_import_and_a_failed_batch(
    engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = previewed(engine, admin, "customers", customers_csv())
    _fail_at(monkeypatch, "Pelanggan 250")  # chunk 3 of 5
    with pytest.raises(CRMError) as refused, session_scope(engine) as s:
        importer("customers").write(s, admin, preview, "p.csv", chunk_rows=CHUNK)
    assert refused.value.message.code == "import.nothing_valid"  # the page shows this one
    assert live_customers(engine) == 0
    with session_scope(engine, write=False) as s:
        batch = s.scalars(select(ImportBatch)).one()
        assert batch.state == chunks.FAILED and batch.reverted_at is not None
        ids = list(s.scalars(select(Customer.id)))
        assert len(ids) == 2 * CHUNK  # the two chunks written, reverted (soft-deleted)
        actions = s.execute(
            select(AuditEntry.action, func.count())
            .where(AuditEntry.entity == "customer", AuditEntry.entity_id.in_(ids))
            .group_by(AuditEntry.action)
        ).all()
        shown = importing.list_imports(s, admin)
    # every customer the audit says was created, the audit also says was taken back
    assert {str(a): n for a, n in actions} == {"create": 2 * CHUNK, "delete": 2 * CHUNK}
    assert shown.loc[0, "state"] == chunks.FAILED and pd_notna(shown.loc[0, "reverted_at"])


def test_a_failure_in_the_first_chunk_leaves_no_batch_and_logs_no_failed_revert(
    engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The batch is created in the first chunk's transaction: rolled back with it, there is
    nothing to revert (the revert of a batch that never existed failed and was logged)."""
    preview = previewed(engine, admin, "customers", customers_csv())
    _fail_at(monkeypatch, "Pelanggan 50")
    with pytest.raises(CRMError), session_scope(engine) as s:
        importer("customers").write(s, admin, preview, "p.csv", chunk_rows=CHUNK)
    assert live_customers(engine) == 0
    assert count(engine, select(func.count()).select_from(ImportBatch)) == 0
    assert "could not be reverted" not in caplog.text


def test_chunks_sized_by_time_grow_to_the_pace_of_the_write_path() -> None:
    sizing = chunks._Sizing(None)
    groups = [[i] for i in range(1_000)]
    first, end = sizing.take(groups, 0)
    assert (len(first), end) == (chunks.FIRST_CHUNK_ROWS, chunks.FIRST_CHUNK_ROWS)
    sizing.took(chunks.CHUNK_SECONDS / 4)  # four times quicker than the aim: four times more
    assert len(sizing.take(groups, end)[0]) == 4 * chunks.FIRST_CHUNK_ROWS
    sizing.took(60.0)  # a very slow chunk: the fewest rows, never none
    assert len(sizing.take(groups, end)[0]) == chunks.FIRST_CHUNK_ROWS // 5
    order = [[0, 1, 2], [3]]  # an order's lines stay together even past the size
    assert chunks._Sizing(2).take(order, 0) == ([0, 1, 2], 1)


def pd_notna(value: Any) -> bool:
    return value is not None and str(value) not in ("NaT", "nan")


def test_a_failed_order_import_leaves_no_order_of_it(
    engine: Engine, admin: Actor, manager: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(engine) as s:
        records.create_customer(s, manager, {"name": "Budi", "email": "budi@example.com"})
    lines = "".join(
        f"R{i},budi@example.com,2026-01-{1 + i % 28:02d} 10:{i % 60:02d},store,NEW-{i % 3},1,9\n"
        for i in range(30)
    )
    csv = ("order_ref,customer_email,ordered_at,channel,sku,quantity,unit_price\n" + lines).encode()
    preview = previewed(engine, manager, "orders", csv, create_products=True)
    assert preview.counts["groups"] == 30, preview.report().head()
    from crm_core.customers import orders

    real = orders.create_order

    def create(session: Any, actor: Actor, data: Any, **kw: Any) -> Any:
        if data.get("external_ref") == "R25":
            raise CRMError("import.nothing_valid")
        return real(session, actor, data, **kw)

    monkeypatch.setattr(orders, "create_order", create)
    with pytest.raises(CRMError), session_scope(engine) as s:
        importer("orders").write(s, manager, preview, "o.csv", chunk_rows=10)
    assert count(engine, select(func.count()).select_from(Order)) == 0
    with session_scope(engine, write=False) as s:
        batch = s.scalars(select(ImportBatch)).one()
        assert batch.state == chunks.FAILED and batch.reverted_at is not None


def test_a_customer_saved_between_chunks_with_a_later_rows_email_stops_the_import(
    engine: Engine, admin: Actor, manager: Actor
) -> None:
    preview = previewed(engine, admin, "customers", customers_csv())

    def meanwhile(chunk: int) -> None:
        if chunk == 1:  # someone types in the customer of line 352 (row 350 of the file)
            with session_scope(engine) as s:
                records.create_customer(s, manager, {"name": "P", "email": "p350@example.com"})

    with pytest.raises(StalePreview) as stale, session_scope(engine) as s:
        importer("customers").write(s, admin, preview, "p.csv", chunk_rows=CHUNK, between=meanwhile)
    assert "(rows 352)" in str(stale.value)
    assert live_customers(engine) == 1  # the editor's customer only: no duplicate of it


class ProcessDied(BaseException):
    """The server stopped half-way (no except clause of the app sees it)."""


def test_an_import_left_half_done_by_a_stopped_process_is_reverted_by_the_next_import(
    engine: Engine, admin: Actor
) -> None:
    preview = previewed(engine, admin, "customers", customers_csv())

    def stop(chunk: int) -> None:
        if chunk == 2:
            raise ProcessDied

    with pytest.raises(ProcessDied), session_scope(engine) as s:
        importer("customers").write(s, admin, preview, "p.csv", chunk_rows=CHUNK, between=stop)
    assert live_customers(engine) == 2 * CHUNK
    with session_scope(engine) as s:
        shown = importing.list_imports(s, admin)
        assert shown.loc[0, "state"] == chunks.IN_PROGRESS  # never shown as a finished import
        long_ago = utcnow() - chunks.ABANDONED_AFTER - timedelta(minutes=1)
        s.execute(update(ImportBatch).values(progressed_at=long_ago))
    later = previewed(engine, admin, "customers", customers_csv(20, prefix="q"))
    with session_scope(engine) as s:
        importer("customers").write(s, admin, later, "q.csv", chunk_rows=CHUNK)
    assert live_customers(engine) == 20
    with session_scope(engine, write=False) as s:
        states = dict(s.execute(select(ImportBatch.filename, ImportBatch.state)).all())
        abandoned = s.scalars(select(ImportBatch).where(ImportBatch.filename == "p.csv")).one()
        assert abandoned.reverted_at is not None
    assert states == {"p.csv": chunks.FAILED, "q.csv": chunks.DONE}


def test_an_import_still_writing_is_not_taken_for_an_abandoned_one(
    engine: Engine, admin: Actor
) -> None:
    preview = previewed(engine, admin, "customers", customers_csv())
    other = previewed(engine, admin, "customers", customers_csv(5, prefix="q"))

    def meanwhile(chunk: int) -> None:
        if chunk == 1:  # another import starts while this one is between its chunks
            with session_scope(engine) as s:
                importer("customers").write(s, admin, other, "q.csv")

    with session_scope(engine) as s:
        importer("customers").write(s, admin, preview, "p.csv", chunk_rows=CHUNK, between=meanwhile)
    assert live_customers(engine) == ROWS + 5
