"""Team and customer value settings through the write path, on SQLite and PostgreSQL: saved
and audited field by field, bad input named per field, admin only, locked on version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from crm_core.admin import settings as admin_settings
from crm_core.admin.settings import days_off
from crm_core.kernel import audit, writepath
from crm_core.kernel.calendar import holidays_between
from crm_core.kernel.errors import ConflictError, PermissionDenied, ValidationError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import TeamSettings, ValueSettings, team_settings, value_settings
from crm_core.models import AuditEntry, Setting
from crm_core.models.enums import Entity, Role
from db.engine import make_engine
from db.session import session_scope
from support import fresh_url, make_user

AUGUST = (date(2026, 8, 1), date(2026, 8, 31))


def save_team(engine: Engine, actor: Actor, version: int, **data: Any) -> dict[str, Any]:
    with session_scope(engine) as s:
        return admin_settings.update_team_settings(s, actor, version, data)


def save_value(engine: Engine, actor: Actor, version: int, **data: Any) -> dict[str, Any]:
    with session_scope(engine) as s:
        return admin_settings.update_value_settings(s, actor, version, data)


def stored(engine: Engine) -> tuple[TeamSettings, ValueSettings, int, int]:
    """Both settings as the app reads them, and how many settings rows and audit entries."""
    with session_scope(engine, write=False) as s:
        rows = s.scalar(select(func.count()).select_from(Setting)) or 0
        entries = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
        return team_settings(s), value_settings(s), rows, entries


def setting_trail(engine: Engine) -> list[str]:
    reader = Actor(id=0, username="auditor", name="Auditor", role=Role.MANAGER)
    with session_scope(engine, write=False) as s:
        return [render(c) for c in audit.history(s, reader, Entity.SETTING)["changes"]]


def test_an_admin_saves_the_team_settings_and_each_changed_field_is_audited(
    engine: Engine, admin: Actor
) -> None:
    changes = save_team(
        engine, admin, 0, company_name="Toko Maju", time_zone="asia/makassar", currency="usd"
    )
    assert changes["team.time_zone"] == ("Asia/Jakarta", "Asia/Makassar")
    team, _, rows, _ = stored(engine)
    assert (team.company_name, team.time_zone, team.currency) == (
        "Toko Maju",
        "Asia/Makassar",
        "USD",
    )
    assert rows == 1
    with session_scope(engine, write=False) as s:
        saved = admin_settings.read_team(s, admin)
    assert (saved.version, saved.changed_by) == (1, "Admin")
    trail = setting_trail(engine)
    assert len(trail) == 1
    assert "Time zone: Asia/Jakarta → Asia/Makassar" in trail[0]
    assert "Currency: IDR → USD" in trail[0]
    assert "Working hours" not in trail[0]  # unchanged fields are not in the trail


def test_a_second_save_names_only_what_it_changed_and_bumps_the_version(
    engine: Engine, admin: Actor
) -> None:
    save_team(engine, admin, 0, company_name="Toko Maju")
    hours = {1: ("09:00", "18:00"), 2: ("8:30", "17:00"), 6: ("09:00", "13:00")}
    save_team(engine, admin, 1, working_hours=hours)
    team, _, _, _ = stored(engine)
    assert team.working_hours == {
        "1": ["09:00", "18:00"],
        "2": ["08:30", "17:00"],
        "6": ["09:00", "13:00"],
    }
    assert team.company_name == "Toko Maju"  # left out, so kept
    trail = setting_trail(engine)
    assert len(trail) == 2 and trail[0].startswith("Working hours:")
    with session_scope(engine, write=False) as s:
        assert admin_settings.read_team(s, admin).version == 2


def test_bad_team_input_names_every_bad_field_and_writes_nothing(
    engine: Engine, admin: Actor
) -> None:
    before = stored(engine)
    with pytest.raises(ValidationError) as raised:
        save_team(
            engine,
            admin,
            0,
            company_name=" ",
            currency="RPH",
            time_zone="Asia/Bandung",
            default_language="fr",
            working_hours={1: ("17:00", "08:00"), 2: ("8am", "17:00"), 3: ("08:00", "17:00")},
        )
    errors = raised.value.texts()
    assert errors == {
        "company_name": "is required",
        "currency": "is not a currency code (three letters, such as IDR, USD or SGD)",
        "time_zone": "is not a known time zone (a name like Asia/Jakarta or Asia/Makassar)",
        "default_language": "must be one of: en, id",
        "working_hours.1": "closing time must be after the opening time",
        "working_hours.2": "opening time must be a time (HH:MM)",
    }
    assert stored(engine) == before


def test_a_week_with_no_open_day_is_refused(engine: Engine, admin: Actor) -> None:
    with pytest.raises(ValidationError) as raised:
        save_team(engine, admin, 0, working_hours={d: None for d in range(1, 8)})
    assert raised.value.texts() == {"working_hours": "at least one weekday must be open"}


@pytest.mark.parametrize("role", [Role.SALES, Role.MANAGER, Role.SUPPORT])
def test_only_an_admin_may_change_settings(engine: Engine, role: Role) -> None:
    someone = make_user(engine, role)
    before = stored(engine)
    with pytest.raises(PermissionDenied, match="cannot update settings"):
        save_team(engine, someone, 0, company_name="Mine now")
    with pytest.raises(PermissionDenied):
        save_value(engine, someone, 0, churn_window_days=30)
    assert stored(engine) == before


def test_a_stale_version_is_a_conflict_naming_who_saved_and_when(
    engine: Engine, admin: Actor
) -> None:
    other = make_user(engine, Role.ADMIN, "rina")
    save_team(engine, other, 0, time_zone="Asia/Jayapura")
    with pytest.raises(ConflictError) as raised:
        save_team(engine, admin, 0, time_zone="Asia/Makassar")  # opened before Rina saved
    assert raised.value.changed_by == "Rina"
    assert raised.value.changed_at is not None
    assert "changed by Rina at " in str(raised.value)
    team, _, _, _ = stored(engine)
    assert team.time_zone == "Asia/Jayapura"


def test_saving_what_is_already_stored_writes_no_audit_entry(engine: Engine, admin: Actor) -> None:
    before = stored(engine)
    assert save_team(engine, admin, 0, company_name="Relasi") == {}
    assert stored(engine) == before


def test_the_value_settings_are_saved_and_audited(engine: Engine, admin: Actor) -> None:
    changes = save_value(engine, admin, 0, top_profit_share=0.6, churn_window_days=120)
    assert changes == {
        "customer_value.top_profit_share": (0.5, 0.6),
        "customer_value.churn_window_days": (90, 120),
    }
    _, value, rows, _ = stored(engine)
    assert (value.top_profit_share, value.churn_window_days, value.clv_horizon_days) == (
        0.6, 120, 365,
    )  # fmt: skip
    assert rows == 1
    assert "Churn window (days): 90 → 120" in setting_trail(engine)[0]


def test_bad_value_settings_are_named_per_field_and_nothing_is_written(
    engine: Engine, admin: Actor
) -> None:
    before = stored(engine)
    with pytest.raises(ValidationError) as raised:
        save_value(
            engine,
            admin,
            0,
            top_profit_share=1,
            cost_per_ticket=-5,
            cost_per_interaction="a lot",
            clv_horizon_days=0,
            discount_rate_annual=1.5,
            churn_window_days=100_000,
        )
    assert raised.value.texts() == {
        "top_profit_share": "must be more than 0 and less than 1 (0.5 is half)",
        "cost_per_ticket": "must be 0 or more",
        "cost_per_interaction": "must be a number",
        "clv_horizon_days": "must be a whole number of days from 1 to 3650",
        "discount_rate_annual": "must be from 0 to less than 1 (0.10 is 10% a year)",
        "churn_window_days": "must be a whole number of days from 1 to 3650",
    }
    assert stored(engine) == before


def test_a_currency_stored_with_the_old_value_settings_is_still_the_team_currency(
    engine: Engine, admin: Actor
) -> None:
    with session_scope(engine) as s:
        s.add(Setting(key="customer_value", value={"currency": "SGD", "churn_window_days": 60}))
    team, value, _, _ = stored(engine)
    assert (team.currency, value.churn_window_days) == ("SGD", 60)
    save_value(engine, admin, 1, churn_window_days=45)  # the old key survives a save
    assert stored(engine)[0].currency == "SGD"
    save_team(engine, admin, 0, currency="IDR")
    assert stored(engine)[0].currency == "IDR"


def test_an_admin_adds_a_company_day_off_and_works_on_a_public_holiday(
    engine: Engine, admin: Actor
) -> None:
    with session_scope(engine) as s:
        admin_settings.add_day_off(s, admin, 0, "2026-08-21", "Company outing")
    with session_scope(engine) as s:
        admin_settings.remove_day_off(s, admin, 1, date(2026, 8, 25))
    team, _, _, _ = stored(engine)
    assert team.holiday_overrides == {"2026-08-21": "Company outing", "2026-08-25": None}
    assert holidays_between(team, *AUGUST) == {
        date(2026, 8, 17): "Independence Day",
        date(2026, 8, 21): "Company outing",
    }
    with session_scope(engine) as s:  # a company day removed is simply forgotten
        admin_settings.remove_day_off(s, admin, 2, date(2026, 8, 21))
    assert stored(engine)[0].holiday_overrides == {"2026-08-25": None}
    assert "Holiday changes:" in setting_trail(engine)[0]


def test_a_day_off_twice_or_a_working_day_removed_is_a_field_error(
    engine: Engine, admin: Actor
) -> None:
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        admin_settings.add_day_off(s, admin, 0, date(2026, 8, 17), "Our own party")
    assert raised.value.texts() == {"day": "is already a day off (Independence Day)"}
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        admin_settings.add_day_off(s, admin, 0, None, "")
    assert set(raised.value.field_errors) == {"day", "name"}
    with pytest.raises(ValidationError) as raised, session_scope(engine) as s:
        admin_settings.remove_day_off(s, admin, 0, date(2026, 8, 18))
    assert raised.value.texts() == {"day": "is not a day off"}
    assert stored(engine)[2] == 0  # no settings row was written


def test_the_year_lists_public_company_and_removed_days_and_a_removed_one_comes_back(
    engine: Engine, admin: Actor
) -> None:
    with session_scope(engine) as s:
        admin_settings.add_day_off(s, admin, 0, date(2026, 8, 21), "Company outing")
        admin_settings.remove_day_off(s, admin, 1, date(2026, 8, 25))
    team = stored(engine)[0]
    august = [(d.day.day, d.name, d.kind.value) for d in days_off(team, 2026) if d.day.month == 8]
    assert august == [
        (17, "Independence Day", "public"),
        (21, "Company outing", "company"),
        (25, "Prophet's Birthday", "removed"),
    ]
    with session_scope(engine) as s:  # given back under its own name: no edit left for it
        admin_settings.add_day_off(s, admin, 2, date(2026, 8, 25), "Prophet's Birthday")
    assert stored(engine)[0].holiday_overrides == {"2026-08-21": "Company outing"}


# Races: PostgreSQL only (on SQLite the write lock, BEGIN IMMEDIATE, keeps the racer out).


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for url in fresh_url("postgresql", request, tmp_path):
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_two_first_saves_at_once_give_the_second_a_conflict(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = pg_engine
    admin, rina = make_user(engine, Role.ADMIN), make_user(engine, Role.ADMIN, "rina")
    insert = writepath.insert

    def rina_first(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(writepath, "insert", insert)
        save_team(engine, rina, 0, company_name="Rina's")
        return insert(session, *args, **kwargs)

    monkeypatch.setattr(writepath, "insert", rina_first)
    with pytest.raises(ConflictError) as raised:
        save_team(engine, admin, 0, company_name="Mine")
    assert raised.value.changed_by == "Rina"
    assert stored(engine)[0].company_name == "Rina's"


def test_a_save_racing_between_read_and_update_is_a_conflict(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = pg_engine
    admin, rina = make_user(engine, Role.ADMIN), make_user(engine, Role.ADMIN, "rina")
    save_team(engine, admin, 0, company_name="Toko Maju")
    update = writepath.update

    def rina_commits_first(session, actor, entity, row, *args, **kwargs):  # type: ignore[no-untyped-def]
        with engine.begin() as other:
            other.execute(
                text("UPDATE settings SET version = 2, updated_by_id = :u WHERE key = 'team'"),
                {"u": rina.id},
            )
        return update(session, actor, entity, row, *args, **kwargs)

    monkeypatch.setattr(writepath, "update", rina_commits_first)
    with pytest.raises(ConflictError) as raised:
        save_team(engine, admin, 1, company_name="Toko Mundur")
    assert raised.value.changed_by == "Rina"
    assert stored(engine)[0].company_name == "Toko Maju"
