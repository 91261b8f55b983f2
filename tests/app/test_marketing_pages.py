"""The Segments and Campaigns pages: a manager reads the tier split, builds "Most Growable
customers in Jawa Barat", saves it, hands it to a salesperson, plans an A/B campaign on it,
launches it, records outcomes and reads the verdict."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from sqlalchemy import Engine, select, update
from streamlit.proto.Metric_pb2 import Metric as Tile

from crm_core.customers import orders
from crm_core.customers import records as customers
from crm_core.kernel.permissions import Actor
from crm_core.marketing import campaigns, segments
from crm_core.models import Campaign, CampaignMember, Customer, Product, Segment, utcnow
from crm_core.models.enums import Role
from db.session import session_scope
from support import page_as, values_refreshed

GROWABLE_JABAR = {"groups": [{"conditions": [
    {"field": "value_tier", "op": "in", "value": ["Most Growable"]},
    {"field": "region", "op": "in", "value": ["Jawa Barat"]},
]}]}  # fmt: skip


@pytest.fixture
def shop(app_engine: Engine, staff: dict[Role, Actor]) -> list[int]:
    """Twelve customers: one big buyer in Jakarta, ten small buyers in Jawa Barat, one who
    never bought (No purchases yet: not Most Growable)."""
    manager = staff[Role.MANAGER]
    now = utcnow()
    with session_scope(app_engine) as s:
        kopi = Product(sku="K", name="Kopi", category="kopi", price=Decimal("100000"),
                       unit_cost=Decimal("40000"))  # fmt: skip
        s.add(kopi)
        s.flush()
        ids = []
        for i in range(12):
            region = "DKI Jakarta" if i == 0 else "Jawa Barat"
            customer = customers.create_customer(s, manager, {
                "name": f"Pelanggan {i:02d}", "region": region, "city": "Bandung",
                "email": f"p{i}@example.com", "consent_email": i % 4 != 3,
            })  # fmt: skip
            ids.append(customer.id)
            if i == 11:
                continue
            quantity = 50 if i == 0 else 1
            orders.create_order(s, manager, {
                "customer_id": customer.id, "channel": "online",
                "ordered_at": (now - timedelta(days=10 + i)).isoformat(timespec="minutes"),
                "lines": [{"product_id": kopi.id, "quantity": quantity}],
            })  # fmt: skip
    values_refreshed(app_engine)
    return ids


def test_the_segment_dashboard_shows_every_tier(shop: list[int], staff: dict[Role, Actor]) -> None:
    at = page_as("segments", staff[Role.MANAGER]).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Most Valuable"] == "1"
    assert metrics["Most Growable"] == "10"
    assert metrics["Below-Zero"] == "0"
    assert metrics["No purchases yet"] == "1"
    assert any("top 20 %" in m.label for m in at.metric)
    assert any(s.value == "Acquisition cohorts" for s in at.subheader)


def test_the_segments_page_names_who_moved_tier_and_counts_first_purchases_as_up(
    app_engine: Engine, shop: list[int], staff: dict[Role, Actor]
) -> None:
    # The twelve were customers 100 days ago, before any order: all "No purchases yet" then.
    with session_scope(app_engine) as s:
        s.execute(update(Customer).values(created_at=utcnow() - timedelta(days=100)))
    at = page_as("segments", staff[Role.MANAGER]).run()
    at.date_input(key="segments_since").set_value(utcnow().date() - timedelta(days=60)).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Moved up"], metrics["First purchases (moved up)"]) == ("11", "11")
    assert metrics["Moved down"] == "0"
    tiles = {m.label: (m.delta, Tile.MetricColor.Name(m.proto.color)) for m in at.metric}
    assert tiles["Most Growable"] == ("10", "GREEN")
    assert tiles["No purchases yet"] == ("-11", "GRAY")  # they bought: no bad news
    moved = next(d.value for d in at.dataframe if "Tier now" in d.value.columns)
    assert len(moved) == 11 and "Pelanggan 11" not in set(moved["Name"])  # still none
    assert set(moved.iloc[:, 1]) == {"No purchases yet"}
    assert sorted(set(moved["Tier now"])) == ["Most Growable", "Most Valuable"]
    assert at.get("download_button")  # the file: built when downloaded


def test_building_saving_and_assigning_a_segment(
    app_engine: Engine, shop: list[int], staff: dict[Role, Actor]
) -> None:
    manager, sales = staff[Role.MANAGER], staff[Role.SALES]
    at = page_as("segment-builder", manager).run()
    assert not at.exception, at.exception
    first = f"segb_{at.session_state['segb_layout'][0][0]}"
    at.selectbox(key=f"{first}_field").set_value("value_tier").run()
    at.multiselect(key=f"{first}_value").set_value(["Most Growable"]).run()
    assert {m.label: m.value for m in at.metric}["Customers in this segment"] == "10"
    at.button(key="segb_g0_add").click().run()
    second = f"segb_{at.session_state['segb_layout'][0][1]}"
    at.selectbox(key=f"{second}_field").set_value("region").run()
    at.multiselect(key=f"{second}_value").set_value(["Jawa Barat"]).run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Customers in this segment"] == "10"
    at.text_input(key="segb_name").input("Growable Jawa Barat")
    next(b for b in at.button if b.label == "Save segment").click().run()
    assert not at.exception, at.exception
    with session_scope(app_engine) as s:
        saved = s.scalars(select(Segment)).one()
        assert saved.name == "Growable Jawa Barat" and saved.owner_id == manager.id
    at.selectbox(key="segb_owner").set_value(sales.id).run()
    next(b for b in at.button if b.label.startswith("Give 10 customers")).click().run()
    assert not at.exception, at.exception
    with session_scope(app_engine) as s:
        owners = s.scalars(select(Customer.owner_id).where(Customer.id.in_(shop[1:11]))).all()
    assert set(owners) == {sales.id}


def test_a_builder_rerun_reads_no_member_rows_for_the_export_or_the_owner_preview(
    app_engine: Engine, shop: list[int], staff: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    for name in ("broadcast_list", "owner_changes", "owner_change_count", "broadcast_counts"):
        real = getattr(segments, name)

        def counted(*args: object, _real: object = real, _name: str = name, **kw: object) -> object:
            reads.append(_name)
            return _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(segments, name, counted)
    manager, sales = staff[Role.MANAGER], staff[Role.SALES]
    at = page_as("segment-builder", manager).run()
    first = f"segb_{at.session_state['segb_layout'][0][0]}"
    at.selectbox(key=f"{first}_field").set_value("region").run()
    at.multiselect(key=f"{first}_value").set_value(["Jawa Barat"]).run()
    at.selectbox(key="segb_owner").set_value(sales.id).run()
    assert not at.exception, at.exception
    # 11 in Jawa Barat; 8 consented to email (every fourth did not); the first 20 shown.
    assert any("8 can be reached; 3 left out" in c.value for c in at.caption)
    assert any(b.label.startswith("Give 11 customers") for b in at.button)
    assert "broadcast_list" not in reads  # the file is read when it is downloaded
    before = list(reads)
    at.radio(key="segb_channel").set_value("whatsapp").run()
    at.radio(key="segb_channel").set_value("email").run()
    assert not at.exception, at.exception
    assert reads == [*before, "broadcast_counts"]  # WhatsApp once; email and owners kept


def test_a_campaign_is_planned_launched_recorded_and_read(
    app_engine: Engine, shop: list[int], staff: dict[Role, Actor]
) -> None:
    manager = staff[Role.MANAGER]
    with session_scope(app_engine) as s:
        segments.create_segment(s, manager, {"name": "Growable Jawa Barat", "rule": GROWABLE_JABAR})
    at = page_as("campaigns", manager).run()
    assert not at.exception, at.exception
    at.text_input(key="cp-n0_name").input("Promo kopi")
    at.selectbox(key="cp-n0_channel").set_value("email")
    next(b for b in at.button if b.label == "Plan campaign").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key="cp-n1_name").value == ""  # planned: the form is empty again
    with session_scope(app_engine) as s:
        campaign = s.scalars(select(Campaign)).one()
        assert campaign.design["planned_per_variant"] > 1000
    # Eight of the eleven consented to email (every fourth did not).
    assert any("enrols 8 members" in i.value for i in at.info)
    at.button(key="campaign_launch").click().run()
    assert not at.exception, at.exception
    with session_scope(app_engine) as s:
        members = s.execute(select(CampaignMember.customer_id, CampaignMember.variant)).all()
    assert len(members) == 8 and {v for _c, v in members} == {"A", "B"}
    rows = [{"customer_id": c, "converted_at": "2026-12-01T09:00"} for c, v in members if v == "B"]
    at.run()  # the results, read once and kept
    assert at.dataframe[-1].value["Converted"].tolist() == ["0", "0"]
    with session_scope(app_engine) as s:  # recorded elsewhere (an import, another session)
        campaigns.record_outcomes(s, manager, campaign.id, rows)
    at.run()  # the next rerun counts them
    assert not at.exception, at.exception
    verdict = next(x.value for x in [*at.success, *at.info, *at.error] if "Verdict" in x.value)
    assert "Verdict" in verdict
    assert any("Read early" in w.value for w in at.warning)
    assert at.dataframe[-1].value["Converted"].tolist() == ["0", "4"]


def test_the_campaigns_page_refuses_a_salesperson(staff: dict[Role, Actor]) -> None:
    at = page_as("campaigns", staff[Role.SALES]).run()
    assert at.error[0].value.startswith("You do not have access")


@pytest.mark.parametrize("key", ["segments", "segment-builder", "campaigns"])
def test_the_marketing_pages_with_data_read_in_bahasa_indonesia(
    key: str, app_engine: Engine, shop: list[int], staff: dict[Role, Actor]
) -> None:
    # The Indonesian page checks of test_bahasa_indonesia.py (a test module: by name).
    checks = import_module("test_bahasa_indonesia")

    manager = staff[Role.MANAGER]
    with session_scope(app_engine) as s:
        segment = segments.create_segment(
            s, manager, {"name": "Growable Jawa Barat", "rule": GROWABLE_JABAR}
        )
        campaign = campaigns.plan_campaign(s, manager, {
            "name": "Promo kopi", "channel": "social", "segment_id": segment.id,
            "starts_on": "2026-11-01", "ends_on": "2026-11-14", "budget": "1000000",
        })  # fmt: skip
        campaigns.launch(s, manager, campaign.id, 1, shop[1:])
    at = checks.in_indonesian(key, manager)
    assert not at.exception, at.exception
    assert checks.english_left(at) == []


def test_an_outcome_recorded_by_the_form_counts_in_the_results(
    app_engine: Engine, shop: list[int], staff: dict[Role, Actor]
) -> None:
    manager = staff[Role.MANAGER]
    with session_scope(app_engine) as s:
        segment = segments.create_segment(
            s, manager, {"name": "Growable Jawa Barat", "rule": GROWABLE_JABAR}
        )
        campaign = campaigns.plan_campaign(s, manager, {
            "name": "Promo kopi", "channel": "social", "segment_id": segment.id,
            "starts_on": "2026-11-01", "ends_on": "2026-11-14",
        })  # fmt: skip
        campaigns.launch(s, manager, campaign.id, 1, shop[1:4])
    at = page_as("campaigns", manager).run()
    at.text_input(key="co_who").input("p2@example.com")
    at.selectbox(key="co_step").set_value("converted_at")
    next(b for b in at.button if b.label == "Record").click().run()
    assert not at.exception, at.exception
    assert any("1 row recorded." in s.value for s in at.success)
    with session_scope(app_engine) as s:
        member = s.scalars(
            select(CampaignMember).where(CampaignMember.customer_id == shop[2])
        ).one()
        assert member.converted_at is not None and member.sent_at is not None
    assert sum(int(n) for n in at.dataframe[-1].value["Converted"]) == 1
    at.button(key="campaign_finish").click().run()
    assert not at.exception, at.exception
    with session_scope(app_engine) as s:
        assert str(s.get_one(Campaign, campaign.id).status) == "finished"
    assert at.dataframe[0].value["status"].tolist() == ["finished"]


def test_a_launched_campaign_is_renamed_and_its_variants_stay_locked(
    app_engine: Engine, shop: list[int], staff: dict[Role, Actor]
) -> None:
    manager = staff[Role.MANAGER]
    with session_scope(app_engine) as s:
        segment = segments.create_segment(
            s, manager, {"name": "Growable Jawa Barat", "rule": GROWABLE_JABAR}
        )
        campaign = campaigns.plan_campaign(s, manager, {
            "name": "Promo kopi", "channel": "social", "segment_id": segment.id,
            "starts_on": "2026-11-01", "ends_on": "2026-11-14",
        })  # fmt: skip
        campaigns.launch(s, manager, campaign.id, 1, shop[1:5])
    at = page_as("campaigns", manager).run()
    assert not at.exception, at.exception
    prefix = f"ce_{campaign.id}_"
    assert at.text_input(key=prefix + "variants").disabled
    assert at.selectbox(key=prefix + "segment").disabled
    at.text_input(key=prefix + "name").input("Promo kopi Desember")
    at.button(key=prefix + "save").click().run()
    assert not at.exception, at.exception
    assert any("Campaign saved." in x.value for x in at.success)
    with session_scope(app_engine) as s:
        saved = s.get_one(Campaign, campaign.id)
        assert (saved.name, saved.variants, saved.version) == ("Promo kopi Desember", ["A", "B"], 3)


def test_a_salesperson_reads_the_dashboard_with_the_amounts_of_their_own_customers(
    shop: list[int], staff: dict[Role, Actor]
) -> None:
    at = page_as("segments", staff[Role.SALES]).run()
    assert not at.exception, at.exception
    assert any("count only the customers you own" in c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Most Growable"] == "10"  # counts: all
