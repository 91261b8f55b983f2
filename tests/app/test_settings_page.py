"""Admin › Settings as an admin uses it (save, see an error beside the field, days off), as a
manager reads it, and how a new time zone changes the times every page shows."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Engine, func, select, update
from streamlit.testing.v1 import AppTest

from crm_core.admin import settings as admin_settings
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import TeamSettings, ValueSettings, team_settings, value_settings
from crm_core.models import Setting, User
from crm_core.models.enums import Role
from db.session import session_scope
from support import make_user, page_as, red

TEAM = "settings-team-v{}"
SAVE_TEAM = "FormSubmitter:settings-team-v{}-Save company and hours"


def saved(engine: Engine) -> tuple[TeamSettings, ValueSettings, int]:
    with session_scope(engine, write=False) as s:
        rows = s.scalar(select(func.count()).select_from(Setting)) or 0
        return team_settings(s), value_settings(s), rows


def admin_page(staff: dict[Role, Actor]) -> AppTest:
    return page_as("settings", staff[Role.ADMIN]).run()


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_an_admin_changes_the_company_and_time_zone(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = admin_page(staff)
    at.text_input(key=f"{TEAM.format(0)}-company_name").input("Toko Maju")
    at.text_input(key=f"{TEAM.format(0)}-time_zone").input("Asia/Makassar")
    at.button(key=SAVE_TEAM.format(0)).click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Settings saved: pages now use them."]
    team, _, _ = saved(app_engine)
    assert (team.company_name, team.time_zone) == ("Toko Maju", "Asia/Makassar")
    assert at.text_input(key=f"{TEAM.format(1)}-time_zone").value == "Asia/Makassar"


def test_a_bad_time_zone_is_shown_beside_the_field_and_nothing_is_saved(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = admin_page(staff)
    at.text_input(key=f"{TEAM.format(0)}-company_name").input("Toko Maju")
    at.text_input(key=f"{TEAM.format(0)}-time_zone").input("Asia/Bandung")
    at.button(key=SAVE_TEAM.format(0)).click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Please correct the fields marked below."]
    message = red("is not a known time zone (a name like Asia/Jakarta or Asia/Makassar)")
    assert message in captions(at)
    assert at.text_input(key=f"{TEAM.format(0)}-time_zone").value == "Asia/Bandung"  # as typed
    assert at.text_input(key=f"{TEAM.format(0)}-company_name").value == "Toko Maju"
    assert saved(app_engine)[2] == 0


def test_hours_that_close_before_they_open_are_refused_beside_that_day(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = admin_page(staff)
    at.checkbox(key=f"{TEAM.format(0)}-open-6").check()  # Saturday
    at.time_input(key=f"{TEAM.format(0)}-start-6").set_value(time(13, 0))
    at.time_input(key=f"{TEAM.format(0)}-end-6").set_value(time(9, 0))
    at.button(key=SAVE_TEAM.format(0)).click().run()
    assert red("closing time must be after the opening time") in captions(at)
    assert saved(app_engine)[2] == 0
    at.time_input(key=f"{TEAM.format(0)}-end-6").set_value(time(15, 0))
    at.button(key=SAVE_TEAM.format(0)).click().run()
    assert saved(app_engine)[0].working_hours["6"] == ["13:00", "15:00"]


def test_an_admin_adds_a_day_off_and_works_on_a_public_holiday(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = admin_page(staff)
    year = at.selectbox(key="settings-year").value
    at.date_input(key="settings-day-off-day").set_value(date(year, 12, 31))
    at.text_input(key="settings-day-off-name").input("Year-end stocktake")
    at.button(key="FormSubmitter:settings-day-off-Add day off").click().run()
    assert [s.value for s in at.success] == ["Day off added."]
    table = at.dataframe[0].value
    assert table[table["date"] == f"{year}-12-31"]["kind"].tolist() == ["company day off"]
    at.selectbox(key="settings-work-day-day").select(date(year, 1, 1))
    at.button(key="FormSubmitter:settings-work-day-Make it a working day").click().run()
    assert [s.value for s in at.success] == ["It is a working day now."]
    assert saved(app_engine)[0].holiday_overrides == {
        f"{year}-01-01": None,
        f"{year}-12-31": "Year-end stocktake",
    }


def test_an_admin_changes_the_churn_window(app_engine: Engine, staff: dict[Role, Actor]) -> None:
    at = admin_page(staff)
    at.number_input(key="settings-value-v0-churn_window_days").set_value(120)
    at.button(key="FormSubmitter:settings-value-v0-Save customer value settings").click().run()
    assert [s.value for s in at.success] == ["Saved: the value figures are recomputed."]
    assert saved(app_engine)[1].churn_window_days == 120


def test_a_save_over_another_admins_save_is_a_conflict_that_keeps_what_was_typed(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    at = admin_page(staff)
    rina = make_user(app_engine, Role.ADMIN, "rina")
    with session_scope(app_engine) as s:
        admin_settings.update_team_settings(s, rina, 0, {"currency": "SGD"})
    at.text_input(key=f"{TEAM.format(0)}-company_name").input("Toko Maju")
    at.button(key=SAVE_TEAM.format(0)).click().run()
    assert "changed by Rina" in at.error[0].value
    assert at.text_input(key=f"{TEAM.format(0)}-company_name").value == "Toko Maju"
    assert saved(app_engine)[0].company_name == "Relasi"
    assert any(b.key == "settings-team-reload" for b in at.button)


def test_a_manager_reads_the_settings_but_has_no_form(staff: dict[Role, Actor]) -> None:
    at = page_as("settings", staff[Role.MANAGER]).run()
    assert not at.exception
    assert [i.value for i in at.info] == [
        "Only an admin changes settings; here they are read-only."
    ]
    assert len(at.text_input) == 0 and len(at.button) == 0
    company = at.dataframe[0].value
    assert company.set_index("setting")["value"]["Time zone"] == "Asia/Jakarta"
    hours = at.dataframe[1].value.set_index("setting")["value"]
    assert (hours["Monday"], hours["Sunday"]) == ("08:00 – 17:00", "closed")


def test_a_sales_user_cannot_open_settings(staff: dict[Role, Actor]) -> None:
    at = page_as("settings", staff[Role.SALES]).run()
    assert at.error[0].value == "You do not have access to Settings. Sign in with a role that does."
    assert len(at.text_input) == 0


def test_a_new_time_zone_changes_the_times_other_pages_show(
    app_engine: Engine, staff: dict[Role, Actor]
) -> None:
    with session_scope(app_engine) as s:
        s.execute(update(User).values(last_login_at=datetime(2026, 1, 31, 20, 30)))

    def shown_login() -> str:
        at = page_as("users", staff[Role.ADMIN]).run()
        return str(at.dataframe[0].value["last_login_at"].iloc[0])

    assert shown_login() == "2026-02-01 03:30"  # Jakarta, UTC+7
    at = admin_page(staff)
    at.text_input(key=f"{TEAM.format(0)}-time_zone").input("Asia/Jayapura")
    at.button(key=SAVE_TEAM.format(0)).click().run()
    assert shown_login() == "2026-02-01 05:30"  # Jayapura, UTC+9
