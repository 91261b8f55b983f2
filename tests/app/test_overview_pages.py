"""The Overview pages through AppTest: the business dashboard, the team page and each role's
home, in English and in Bahasa Indonesia, on the hand-made business of tests/overview_data.py."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from overview_data import business
from sqlalchemy import Engine, select, update
from streamlit.proto.Metric_pb2 import Metric as Tile
from streamlit.testing.v1 import AppTest

from crm_core.customers import interactions
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer, CustomerValue
from crm_core.models.enums import Role
from crm_core.overview import targets, team
from db.session import session_scope
from support import page_as, shown_cells, values_refreshed


@pytest.fixture
def shop(app_engine: Engine, staff: dict[Role, Actor]) -> dict[Role, Actor]:
    with session_scope(app_engine) as s:
        business(s, staff[Role.MANAGER], staff[Role.SALES], staff[Role.SUPPORT])
    values_refreshed(app_engine)
    return staff


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def march(at: AppTest) -> AppTest:
    at.date_input(key="dashboard-period").set_value((date(2026, 3, 1), date(2026, 3, 31)))
    return at.run()


def test_the_manager_reads_the_march_figures_and_the_rows_behind_one(
    shop: dict[Role, Actor],
) -> None:
    at = page_as("dashboard", shop[Role.MANAGER]).run()
    assert not at.exception, at.exception
    at = march(at)
    assert not at.exception, at.exception
    assert at.date_input(key="dashboard-period").proto.format == "YYYY-MM-DD"
    shown = metrics(at)
    assert shown["Revenue"] == "Rp 190K" and shown["Pipeline value"] == "Rp 1.2M"
    assert shown["Active customers"] == "2" and shown["Open tickets"] == "1"
    assert shown["SLA attainment"] == "33.3%" and shown["CSAT"] == "4.00"
    at.selectbox(key="dashboard-rows-of").select("churned_customers").run()
    assert at.dataframe[0].value["customer"].tolist() == ["Dewi"]


def test_a_figure_that_fell_points_down_and_a_rise_in_open_tickets_reads_as_bad_news(
    shop: dict[Role, Actor],
) -> None:
    """March against February: revenue fell by Rp 10K, open tickets rose by one, churned
    customers stayed level. The change is written with a typographic minus (−), which
    Streamlit alone would read as a rise (a green arrow up)."""
    at = march(page_as("dashboard", shop[Role.MANAGER]).run())
    tiles = {
        m.label: (
            m.delta,
            Tile.MetricColor.Name(m.proto.color),
            Tile.MetricDirection.Name(m.proto.direction),
        )
        for m in at.metric
    }
    assert tiles["Revenue"] == ("−Rp 10K (5%)", "RED", "DOWN")
    assert tiles["Open tickets"] == ("+1", "RED", "UP")
    assert tiles["Gross margin"] == ("+Rp 40K (80%)", "GREEN", "UP")
    assert tiles["Churned customers"] == ("±0", "GRAY", "NONE")


def test_the_salesperson_lands_on_their_leads_and_figures_against_target(
    shop: dict[Role, Actor], app_engine: Engine
) -> None:
    seller = shop[Role.SALES]
    with session_scope(app_engine) as s:
        month = date.today().replace(day=1)
        data = {"user_id": seller.id, "metric": "leads_won", "month": month, "value": 4}
        targets.set_target(s, shop[Role.MANAGER], data, 0)
    at = page_as("home", seller).run()
    assert not at.exception, at.exception
    assert at.metric[0].label == "leads won"
    assert at.metric[0].value == "0" and at.metric[0].delta == "0% of 4"
    assert Tile.MetricDirection.Name(at.metric[0].proto.direction) == "NONE"  # progress, no arrow
    assert "1 open lead" in [h.value for h in at.subheader]
    leads = at.dataframe[0].value
    assert leads["name"].tolist() == ["L3"] and leads["due"].tolist() == ["Overdue"]


def test_the_agent_lands_on_their_open_tickets_in_bahasa_indonesia(
    shop: dict[Role, Actor], app_engine: Engine
) -> None:
    agent = shop[Role.SUPPORT]
    at = page_as("home", agent)
    at.session_state["relasi_language"] = "id"
    at.run()
    assert not at.exception, at.exception
    assert "1 tiket terbuka" in [h.value for h in at.subheader]
    assert at.dataframe[0].value["id"].tolist() == [3]


def test_the_team_page_shows_each_person_and_a_manager_sets_a_target(
    shop: dict[Role, Actor],
) -> None:
    at = page_as("team", shop[Role.MANAGER]).run()
    assert not at.exception, at.exception
    at.selectbox(key="team-month").set_value(date(2026, 3, 1)).run()
    sellers = at.dataframe[0].value.set_index("name")
    assert sellers.loc["Sales", "won"] == 1 and sellers.loc["Sales", "leads_worked"] == 3
    agents = at.dataframe[1].value.set_index("name")
    assert agents.loc["Support", "tickets_resolved"] == 2
    at.selectbox(key="team-target-user").set_value(shop[Role.SALES].id)
    at.selectbox(key="team-target-metric").set_value("leads_won")
    at.number_input(key="team-target-value").set_value(2.0)
    at.button(key="FormSubmitter:team-target-Save target").click().run()
    assert not at.exception, at.exception
    progress = at.dataframe[2].value
    assert progress[["name", "target", "actual", "share"]].values.tolist() == [
        ["Sales", 2.0, 1.0, 50.0]  # its bar: "50%", whole points in every language
    ]
    bar = json.loads(at.dataframe[2].proto.columns)["share"]["type_config"]
    assert (bar["format"], bar["max_value"]) == ("%d%%", 100)  # not the browser's own "50.00%"


def test_a_salespersons_portfolio_comes_a_page_at_a_time_riskiest_first(
    shop: dict[Role, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sales owns Ani and Citra; at one customer a page, each page shows one, the riskier
    first (at bench scale a salesperson owns 8,500, and the page showing all took 5-9 s)."""
    monkeypatch.setattr(team, "PORTFOLIO_PAGE", 1)
    at = page_as("team", shop[Role.MANAGER]).run()
    at.selectbox(key="team-portfolio-person").set_value(shop[Role.SALES].id).run()
    assert not at.exception, at.exception
    first = at.dataframe[-1].value
    at.number_input(key=f"team-portfolio-page-{shop[Role.SALES].id}").set_value(2).run()
    second = at.dataframe[-1].value
    assert len(first) == len(second) == 1
    assert {first["name"].iloc[0], second["name"].iloc[0]} == {"Ani", "Citra"}
    assert first["churn_risk"].iloc[0] >= second["churn_risk"].iloc[0]
    assert "2 customers, 1 per page." in [c.value for c in at.caption]


def test_the_team_portfolio_and_a_salespersons_at_risk_customers_read_in_indonesian(
    shop: dict[Role, Actor], app_engine: Engine
) -> None:
    """Ani (Below-Zero, medium risk) and Citra (Most Valuable) are Sales's; Ani's stored
    figures are set to high risk, 85 %, so that she is on Sales's home."""
    with session_scope(app_engine) as s:
        ani = s.scalars(select(Customer.id).where(Customer.name == "Ani")).one()
        s.execute(
            update(CustomerValue)
            .where(CustomerValue.customer_id == ani)
            .values(churn_risk=0.85, risk_band="High")
        )
    at = page_as("team", shop[Role.MANAGER])
    at.session_state["relasi_language"] = "id"
    at.session_state["team-portfolio-person"] = shop[Role.SALES].id
    at.run()
    owned = at.dataframe[-1].value
    assert owned[["name", "value_tier", "risk_band"]].values.tolist() == [
        ["Ani", "Di Bawah Nol", "Tinggi"],
        ["Citra", "Paling Berharga", "Sedang"],
    ]
    home = page_as("home", shop[Role.SALES])
    home.session_state["relasi_language"] = "id"
    home.run()
    assert "1 pelanggan Anda berisiko tinggi berhenti" in [h.value for h in home.subheader]
    at_risk = home.dataframe[-1].value
    assert at_risk[["name", "value_tier", "churn_risk"]].values.tolist() == [
        ["Ani", "Di Bawah Nol", 85.0]
    ]


def test_a_touchpoint_a_colleague_logs_shows_on_the_team_page_at_the_next_rerun(
    shop: dict[Role, Actor], app_engine: Engine
) -> None:
    """The page keeps its figures between reruns (3-4 s at bench scale), by the data's mark."""
    at = page_as("team", shop[Role.MANAGER]).run()
    at.selectbox(key="team-month").set_value(date(2026, 3, 1)).run()
    assert at.dataframe[0].value.set_index("name").loc["Sales", "touchpoints"] == 2
    with session_scope(app_engine) as s:
        ani = s.scalar(select(Customer.id).where(Customer.name == "Ani"))
        data = {"channel": "phone", "direction": "outbound", "subject": "Follow-up",
                "occurred_at": datetime(2026, 3, 20, 5)}  # fmt: skip
        interactions.log_interaction(s, shop[Role.SALES], ani, data)
    at.run()
    assert at.dataframe[0].value.set_index("name").loc["Sales", "touchpoints"] == 3


def test_the_team_page_writes_decimals_and_shares_the_indonesian_way(
    shop: dict[Role, Actor],
) -> None:
    """March: one of Sales's two closed leads won, 13 days from creation; Support resolved
    two tickets in 11.5 working hours (median), met both targets on one of three, CSAT 4."""
    at = page_as("team", shop[Role.MANAGER])
    at.session_state["relasi_language"] = "id"
    at.session_state["team-month"] = date(2026, 3, 1)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="team-month").value == date(2026, 3, 1)
    assert "Maret 2026" in at.selectbox(key="team-month").options  # not 2026-03
    sales, support = (shown_cells(table).iloc[0] for table in at.dataframe[:2])
    assert (sales["win_rate"], sales["average_cycle_days"]) == ("50%", "13,0")
    assert (support["resolution_hours"], support["sla_attainment"], support["csat"]) == (
        "11,5",
        "33,3%",
        "4,00",
    )
    assert at.dataframe[1].value["resolution_hours"][0] == 11.5  # still a number: it sorts


def test_the_admin_reads_the_dashboard_in_bahasa_indonesia_and_others_are_refused(
    shop: dict[Role, Actor],
) -> None:
    at = page_as("dashboard", shop[Role.ADMIN])
    at.session_state["relasi_language"] = "id"
    at.session_state["dashboard-period"] = (date(2026, 3, 1), date(2026, 3, 31))
    at.run()
    assert not at.exception, at.exception
    shown = metrics(at)
    assert at.date_input(key="dashboard-period").proto.format == "DD/MM/YYYY"  # 31/03/2026
    assert shown["Pelanggan aktif"] == "2" and shown["Tiket terbuka"] == "1"
    assert shown["Pendapatan"].startswith("Rp") and shown["Pencapaian SLA"] == "33,3%"
    for role, key in ((Role.SALES, "dashboard"), (Role.SUPPORT, "team")):
        refused = page_as(key, shop[role]).run()
        assert refused.error and not refused.metric
