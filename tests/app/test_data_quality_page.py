"""Data quality page: a manager sees the figures, the chart and the tables; sales is refused."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, update

from crm_core.customers import data_quality
from crm_core.customers import records as customers
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, utcnow
from crm_core.models.enums import Role
from db.session import session_scope
from support import page_as


def some_customers(engine: Engine, owner: Actor) -> None:
    with session_scope(engine) as s:
        twin = {"email": "budi@x.co", "city": "Bandung"}
        first = customers.create_customer(s, owner, {"name": "Budi", **twin})
        customers.create_customer(s, owner, {"name": "Budi S.", **twin}, allow_duplicate=True)
        customers.create_customer(s, owner, {"name": "Dewi", "phone": "081234567890"})
        s.flush()
        old = utcnow() - timedelta(days=400)
        s.execute(update(Customer).where(Customer.id == first.id).values(updated_at=old))


def test_a_manager_sees_the_figures_the_clusters_and_the_untouched_records(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    some_customers(app_engine, staff[Role.SALES])
    at = page_as("data-quality", staff[Role.MANAGER]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Key fields filled": "67%",  # email 2 + phone 1 + city 2 + owner 3 = 8 of 12 cells
        "Duplicate clusters": "1",
        "Customers in clusters": "2",
        "Untouched for a year": "1",
    }
    completeness, clusters, untouched = (t.value for t in at.dataframe)
    assert len(completeness) == len(data_quality.checked_fields())
    assert list(clusters["name"]) == ["Budi", "Budi S."]
    assert list(untouched["name"]) == ["Budi"]
    assert at.select_slider(key="dq_untouched_days").value == 365
    assert len(at.get("plotly_chart")) == 1 and len(at.get("download_button")) == 3


def test_a_longer_threshold_empties_the_untouched_list(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    some_customers(app_engine, staff[Role.SALES])
    at = page_as("data-quality", staff[Role.ADMIN]).run()
    at.select_slider(key="dq_untouched_days").set_value(730).run()
    assert not at.exception
    assert at.dataframe[2].value.empty
    assert any("0 customers with no change" in c.value for c in at.caption)


def test_a_sales_user_is_refused(app_engine: Engine, staff: dict[Role, Actor]) -> None:
    at = page_as("data-quality", staff[Role.SALES]).run()
    assert [e.value for e in at.error] == [
        "You do not have access to Data quality. Sign in with a role that does."
    ]
    assert not at.metric and not at.dataframe
