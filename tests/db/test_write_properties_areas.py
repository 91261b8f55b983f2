"""Property-based, the other areas' writes and importers (issue 9 item 9): whatever a form or a
file sends to a lead, ticket, article, product, campaign, user or target write, the answer is
the record saved or a ValidationError naming the field, and a refusal writes nothing (no row,
no audit entry); an importer's preview accounts for every row of the file and writes nothing.
Same hostile values as tests/db/test_write_properties.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from crm_core.admin import users
from crm_core.customers import products
from crm_core.exchange import importing
from crm_core.exchange.registry import importer
from crm_core.kernel.inputs import validate
from crm_core.kernel.permissions import Actor
from crm_core.marketing import campaigns, segments
from crm_core.models import (
    Article,
    AuditEntry,
    Campaign,
    Lead,
    Order,
    Product,
    Segment,
    Target,
    Ticket,
    User,
)
from crm_core.overview import targets
from crm_core.sales import leads
from crm_core.service import articles, tickets
from db.session import session_scope
from tests.db.test_write_properties import (
    EXAMPLES,
    _a_customer,
    hostile_text,
    moments,
    numbers,
    saved_or_refused,
)


# A choice from a list: the list's own values, and what a forged form could send instead.
def choice(*values: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(values), hostile_text, st.integers())


def rows_of(engine: Engine, model: Any) -> tuple[int, int]:
    """The model's rows and the audit entries: a refusal changes neither."""
    with session_scope(engine, write=False) as s:
        table = int(s.scalar(select(func.count()).select_from(model)) or 0)
        audit = int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    return table, audit


def saved_or_nothing(
    engine: Engine, model: Any, write: Callable[[Any], Any], kept: tuple[str, Any] | None = None
) -> None:
    """The write saved (with `kept`: that field stored as expected), or refused by a
    ValidationError that left nothing behind."""
    before = rows_of(engine, model)
    made = saved_or_refused(engine, write)
    if made is None:
        assert rows_of(engine, model) == before  # nothing half-written
    elif kept is not None:
        with session_scope(engine, write=False) as s:
            assert getattr(s.get_one(model, made), kept[0]) == kept[1]


@EXAMPLES
@given(
    name=hostile_text, phone=hostile_text, value=numbers, close=moments, source=choice("web form")
)
def test_a_lead_is_saved_or_refused_field_by_field(
    engine: Engine, manager: Actor, name: str, phone: str, value: Any, close: Any, source: Any
) -> None:
    data = {
        "name": name,
        "phone": phone,
        "value": value,
        "expected_close": close,
        "source": source,
        "notes": name,
    }
    create = lambda s: leads.create_lead(s, manager, data).id  # noqa: E731
    saved_or_nothing(engine, Lead, create, kept=("name", name.strip()))


@EXAMPLES
@given(
    subject=hostile_text,
    body=hostile_text,
    priority=choice("low", "urgent"),
    category=choice("billing", "delivery"),
)
def test_a_ticket_is_saved_or_refused_field_by_field(
    engine: Engine, manager: Actor, subject: str, body: str, priority: Any, category: Any
) -> None:
    customer_id = _a_customer(engine, manager)
    data = {
        "customer_id": customer_id,
        "subject": subject,
        "body": body,
        "priority": priority,
        "category": category,
    }
    create = lambda s: tickets.create_ticket(s, manager, data).ticket.id  # noqa: E731
    saved_or_nothing(engine, Ticket, create, kept=("subject", subject.strip()))


@EXAMPLES
@given(
    kind=choice("canned", "article"),
    title=hostile_text,
    body=hostile_text,
    language=choice("id", "en"),
)
def test_a_knowledge_base_article_is_saved_or_refused_field_by_field(
    engine: Engine, manager: Actor, kind: Any, title: str, body: str, language: Any
) -> None:
    data = {"kind": kind, "title": title, "body": body, "language": language}
    create = lambda s: articles.create_article(s, manager, data).id  # noqa: E731
    saved_or_nothing(engine, Article, create, kept=("title", title.strip()))


@EXAMPLES
@given(sku=hostile_text, name=hostile_text, price=numbers, unit_cost=numbers)
def test_a_product_is_saved_or_refused_whatever_its_prices(
    engine: Engine, manager: Actor, sku: str, name: str, price: Any, unit_cost: Any
) -> None:
    data = {"sku": sku, "name": name, "category": "kopi", "price": price, "unit_cost": unit_cost}
    create = lambda s: products.create_product(s, manager, data).id  # noqa: E731
    saved_or_nothing(engine, Product, create, kept=("sku", sku.strip()))


@EXAMPLES
@given(
    name=hostile_text,
    budget=numbers,
    rate=numbers,
    starts=moments,
    ends=moments,
    variants=hostile_text,
)
def test_a_campaign_is_saved_or_refused_whatever_its_design(
    engine: Engine,
    manager: Actor,
    name: str,
    budget: Any,
    rate: Any,
    starts: Any,
    ends: Any,
    variants: str,
) -> None:
    segment_id = _a_segment(engine, manager)
    data = {
        "name": name,
        "channel": "email",
        "segment_id": segment_id,
        "budget": budget,
        "baseline_rate": rate,
        "starts_on": starts,
        "ends_on": ends,
        "variants": variants,
    }
    saved_or_nothing(engine, Campaign, lambda s: campaigns.plan_campaign(s, manager, data).id)


@EXAMPLES
@given(
    username=hostile_text,
    name=hostile_text,
    email=hostile_text,
    password=hostile_text,
    role=choice("sales", "support"),
)
def test_a_user_is_saved_or_refused_field_by_field(
    engine: Engine, admin: Actor, username: str, name: str, email: str, password: str, role: Any
) -> None:
    data = {"username": username, "name": name, "email": email, "password": password, "role": role}
    create = lambda s: users.create_user(s, admin, data).id  # noqa: E731
    saved_or_nothing(engine, User, create, kept=("username", username.strip().lower()))


@EXAMPLES
@given(value=numbers, month=moments, metric=choice("revenue_won", "csat"))
def test_a_target_is_saved_or_refused_whatever_its_value_and_month(
    engine: Engine, manager: Actor, sales: Actor, value: Any, month: Any, metric: Any
) -> None:
    data = {"user_id": sales.id, "metric": metric, "month": month, "value": value}

    def write(s: Any) -> int:  # a target set before is changed at the version it has
        held = validate(targets.TargetIn, data)  # the refusal set_target would give too
        stmt = select(Target.version).where(
            Target.user_id == sales.id,
            Target.metric == held.metric.value,
            Target.month == held.month,
        )
        return targets.set_target(s, manager, data, s.scalar(stmt) or 0).id

    saved_or_nothing(engine, Target, write)


# ---- the importers' previews ---------------------------------------------------------------

PREVIEWED: dict[str, tuple[Any, list[str]]] = {
    "products": (Product, ["sku", "name", "category", "price", "unit_cost"]),
    "orders": (
        Order,
        [
            "external_ref",
            "customer_email",
            "ordered_at",
            "channel",
            "sku",
            "quantity",
            "unit_price",
        ],
    ),
    "leads": (Lead, ["name", "email", "source", "value", "stage", "expected_close"]),
    "tickets": (Ticket, ["customer_email", "subject", "priority", "status", "created_at"]),
}
LOOKED_UP = {
    "products": "sku",
    "orders": "external_ref",
    "leads": "email",
    "tickets": "customer_email",
}
cells = st.one_of(
    hostile_text,
    st.sampled_from(
        ["2026-11-01 10:00", "KOPI-1", "budi@example.com", "12", "-1", "1e400", "web form", "store"]
    ),
)


@EXAMPLES
@given(kind=st.sampled_from(sorted(PREVIEWED)), data=st.data())
def test_every_importers_preview_accounts_for_every_row_and_writes_nothing(
    engine: Engine, manager: Actor, kind: str, data: st.DataObject
) -> None:
    model, columns = PREVIEWED[kind]
    grid = data.draw(
        st.lists(
            st.lists(cells, min_size=len(columns), max_size=len(columns)), min_size=1, max_size=8
        )
    )
    _a_customer(engine, manager)  # a customer the rows may name (budi@example.com or none)
    frame = pd.DataFrame(grid, columns=columns, dtype=object)
    spec = importer(kind)
    before = rows_of(engine, model)
    with session_scope(engine, write=False) as s:
        preview = spec.preview(s, manager, frame, {c: c for c in columns}, "create_only", "email")
    counts = preview.counts
    assert counts["rows"] == len(grid)
    assert counts["rows"] == counts["create"] + counts["update"] + counts["skipped"] + counts["bad"]
    assert rows_of(engine, model) == before


@pytest.mark.parametrize("kind", sorted(LOOKED_UP))
def test_a_nul_in_a_looked_up_cell_of_a_file_is_previewed_not_a_database_error(
    engine: Engine, manager: Actor, kind: str
) -> None:
    """Found by the test above: the previews look SKUs, order references and emails up before
    validating them, and PostgreSQL refused a NUL in the query (a raw DataError)."""
    columns = PREVIEWED[kind][1]
    line = ["KO\x00PI" if c == LOOKED_UP[kind] else "1" for c in columns]
    raw = (",".join(columns) + "\n" + ",".join(line) + "\n").encode("utf-16")
    frame = importing.read_csv(raw)  # a UTF-16 file can hold U+0000: it reaches the preview
    with session_scope(engine, write=False) as s:
        preview = importer(kind).preview(
            s, manager, frame, {c: c for c in columns}, "create_only", "email"
        )
    counts = preview.counts
    assert counts["rows"] == 1 == counts["create"] + counts["skipped"] + counts["bad"]
    if kind == "products":  # shown as a character that could not be read, as decoders do
        assert preview.rows[0].values["sku"] == "KO\ufffdPI"


def _a_segment(engine: Engine, actor: Actor) -> int:
    with session_scope(engine) as s:
        found = s.scalar(select(Segment.id).limit(1))
        rule = {"groups": [{"conditions": [{"field": "region", "op": "in", "value": ["Bali"]}]}]}
        return found or segments.create_segment(s, actor, {"name": "Bali", "rule": rule}).id
