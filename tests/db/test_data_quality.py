"""Data quality on a real database: completeness, duplicate clusters and untouched records."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import Engine, insert, update

from crm_core.customers import data_quality, duplicates
from crm_core.customers import records as customers
from crm_core.kernel.permissions import Actor
from crm_core.models import Account, Customer, Interaction, Order, utcnow
from crm_core.models.enums import Channel, Direction, SalesChannel
from db.session import session_scope

# A day after the test runs: records created now are fresh, ones set to LONG_AGO are not.
AS_OF = utcnow().replace(microsecond=0) + timedelta(days=1)
LONG_AGO = AS_OF - timedelta(days=800)


def add(engine: Engine, actor: Actor, name: str, **data: object) -> int:
    with session_scope(engine) as s:
        # Twins on purpose: these tests are about finding them.
        data = {"name": name, **data}
        return customers.create_customer(s, actor, data, allow_duplicate=True).id


def add_account(engine: Engine, name: str) -> int:
    with session_scope(engine) as s:
        return s.execute(insert(Account).returning(Account.id), [{"name": name}]).scalar_one()


def set_customer(engine: Engine, customer_id: int, **values: object) -> None:
    with session_scope(engine) as s:
        s.execute(update(Customer).where(Customer.id == customer_id).values(**values))


def delete(engine: Engine, actor: Actor, customer_id: int) -> None:
    with session_scope(engine) as s:
        customers.delete_customer(s, actor, customer_id, 1)


def clusters(engine: Engine, actor: Actor) -> pd.DataFrame:
    with session_scope(engine, write=False) as s:
        return data_quality.duplicate_clusters(s, actor)


def members(frame: pd.DataFrame) -> list[set[int]]:
    return [set(group) for _cid, group in frame.groupby("cluster_id")["customer_id"]]


def test_completeness_counts_filled_fields_of_live_customers_only(
    engine: Engine, manager: Actor
) -> None:
    for n in range(3):
        add(engine, manager, f"Emailed {n}", email=f"person{n}@example.com")
    add(engine, manager, "Phoned", phone="0812 1111 2222", consent_sms=True)
    add(engine, manager, "Bare")
    delete(engine, manager, add(engine, manager, "Gone", email="gone@example.com"))
    with session_scope(engine, write=False) as s:
        table = data_quality.field_completeness(s, manager).set_index("field")
    assert list(table.columns) == ["label", "filled", "total", "share"]
    assert (table.loc["email", "filled"], table.loc["email", "total"]) == (3, 5)
    assert table.loc["email", "share"] == 0.6
    assert table.loc["phone", "share"] == 0.2
    assert table.loc["consent_sms", "filled"] == 1 and table.loc["consent_email", "filled"] == 0
    assert table.loc["owner", "share"] == 1.0  # the creator owns what they create
    assert table.loc["city", "filled"] == 0


def test_emails_typed_with_other_case_and_spaces_are_one_cluster(
    engine: Engine, manager: Actor
) -> None:
    first = add(engine, manager, "Budi Santoso", email="Budi@X.co")
    second = add(engine, manager, "B. Santoso", email="budi@x.co ")
    add(engine, manager, "Someone Else", email="else@x.co")
    found = clusters(engine, manager)
    assert members(found) == [{first, second}]
    assert set(found["reason"]) == {"same email budi@x.co"}
    assert list(found.columns) == data_quality.CLUSTER_COLUMNS


def test_phones_written_two_ways_are_one_cluster(engine: Engine, manager: Actor) -> None:
    first = add(engine, manager, "Agus", phone="0812-3456-7890")
    second = add(engine, manager, "Agus W.", phone="+62 812 3456 7890")
    found = clusters(engine, manager)
    assert members(found) == [{first, second}]
    assert set(found["reason"]) == {"same phone +6281234567890"}


def test_a_name_with_accents_and_extra_spaces_at_the_same_company_is_one_cluster(
    engine: Engine, manager: Actor
) -> None:
    maju, other = add_account(engine, "PT Maju"), add_account(engine, "CV Lain")
    first = add(engine, manager, "Siti Rahma", account_id=maju)
    second = add(engine, manager, "siti  rahmá", account_id=maju)
    add(engine, manager, "Siti Rahma", account_id=other)  # same name, another company
    add(engine, manager, "Siti Rahma")  # same name, no company: not enough to suspect
    found = clusters(engine, manager)
    assert members(found) == [{first, second}]
    assert set(found["reason"]) == {"same name and company siti rahma, pt maju"}
    assert set(found["company"]) == {"PT Maju"}


def test_a_chain_by_email_then_phone_is_one_cluster_of_three(
    engine: Engine, manager: Actor
) -> None:
    a = add(engine, manager, "Andi", email="andi@x.co")
    b = add(engine, manager, "Andi P.", email="ANDI@x.co", phone="081299990000")
    c = add(engine, manager, "Pratama", phone="+6281299990000")
    found = clusters(engine, manager)
    assert members(found) == [{a, b, c}]
    assert set(found["cluster_id"]) == {1}
    assert set(found["reason"]) == {"same email andi@x.co; same phone +6281299990000"}


def test_deleted_customers_never_appear(engine: Engine, manager: Actor) -> None:
    kept = add(engine, manager, "Kept", email="twin@x.co")
    gone = add(engine, manager, "Gone", email="twin@x.co")
    set_customer(engine, kept, updated_at=LONG_AGO)
    set_customer(engine, gone, updated_at=LONG_AGO - timedelta(days=10))
    delete(engine, manager, gone)
    set_customer(engine, gone, updated_at=LONG_AGO - timedelta(days=10))
    assert clusters(engine, manager).empty
    with session_scope(engine, write=False) as s:
        untouched = data_quality.untouched_customers(s, manager, AS_OF)
        summary = data_quality.quality_summary(s, manager, AS_OF)
    assert list(untouched["customer_id"]) == [kept]
    assert (summary.customers, summary.duplicate_clusters, summary.untouched) == (1, 0, 1)


def test_an_old_record_without_activity_is_untouched_and_one_with_a_recent_order_is_not(
    engine: Engine, manager: Actor
) -> None:
    idle = add(engine, manager, "Idle", email="idle@x.co")
    bought = add(engine, manager, "Bought")
    called = add(engine, manager, "Called long ago")
    fresh = add(engine, manager, "Fresh")
    for customer_id in (idle, bought, called):
        set_customer(engine, customer_id, updated_at=LONG_AGO)
    with session_scope(engine) as s:
        order = {"customer_id": bought, "channel": SalesChannel.ONLINE}
        s.execute(insert(Order), [{**order, "ordered_at": AS_OF - timedelta(days=30)}])
        call = {"customer_id": called, "channel": Channel.PHONE}
        call |= {"direction": Direction.OUTBOUND, "subject": "Follow-up"}
        s.execute(insert(Interaction), [{**call, "occurred_at": AS_OF - timedelta(days=500)}])
    with session_scope(engine, write=False) as s:
        untouched = data_quality.untouched_customers(s, manager, AS_OF, older_than_days=365)
        count = data_quality.count_untouched(s, manager, AS_OF, 365)
        shorter = data_quality.untouched_customers(s, manager, AS_OF, older_than_days=730)
    assert list(untouched.columns) == data_quality.UNTOUCHED_COLUMNS
    assert list(untouched["customer_id"]) == [idle, called]  # oldest last touch first
    assert list(untouched["last_touch_kind"]) == ["record edited", "interaction"]
    assert list(untouched["days_untouched"]) == [800, 500]
    assert untouched["last_touch"].iloc[0] == pd.Timestamp(LONG_AGO)
    assert untouched["owner"].iloc[0] == manager.name
    assert count == 2 and fresh not in set(untouched["customer_id"])
    assert list(shorter["customer_id"]) == [idle]


def test_the_summary_counts_complete_key_fields_clusters_and_untouched(
    engine: Engine, manager: Actor
) -> None:
    a = add(engine, manager, "Andi", email="andi@x.co", phone="081211112222", city="Bandung")
    add(engine, manager, "Andi 2", email="andi@x.co")
    add(engine, manager, "Dewi")
    set_customer(engine, a, updated_at=LONG_AGO)
    with session_scope(engine, write=False) as s:
        summary = data_quality.quality_summary(s, manager, AS_OF, older_than_days=365)
    # Key fields email, phone, city, owner over 3 customers: 2 + 1 + 1 + 3 of 12 cells.
    assert summary.key_fields_share == 7 / 12
    assert (summary.customers, summary.duplicate_clusters, summary.customers_in_clusters) == (
        3,
        1,
        2,
    )
    assert summary.untouched == 1


def test_an_empty_database_has_no_share_no_clusters_and_nothing_untouched(
    engine: Engine, manager: Actor
) -> None:
    with session_scope(engine, write=False) as s:
        summary = data_quality.quality_summary(s, manager, AS_OF)
        assert data_quality.untouched_customers(s, manager, AS_OF).empty
    assert summary == data_quality.QualitySummary(0, None, 0, 0, 0)
    assert clusters(engine, manager).empty


def test_a_name_is_lowercased_with_accents_punctuation_and_extra_spaces_removed() -> None:
    names = ["  Siti   Rahmá. ", "SITI-RAHMA", "Ñoño O'Brien", "", None, "Çağla\tÖztürk"]
    normalised = [duplicates.normalize_name(n) for n in names]
    assert normalised == ["siti rahma", "sitirahma", "nono obrien", "", "", "cagla ozturk"]


def test_clusters_are_numbered_biggest_first_and_name_every_shared_key() -> None:
    groups = pd.DataFrame(
        [
            ("email", "a@x.co", 7),
            ("email", "a@x.co", 9),
            ("phone", "+62811", 2),
            ("phone", "+62811", 3),
            ("phone", "+62822", 3),
            ("phone", "+62822", 4),
        ],
        columns=["kind", "key", "customer_id"],
    )
    found = data_quality.cluster_members(groups)
    assert list(found["cluster_id"]) == [1, 1, 1, 2, 2]
    assert list(found["customer_id"]) == [2, 3, 4, 7, 9]
    assert found["reason"].iloc[0] == "same phone +62811; same phone +62822"
    assert found["reason"].iloc[-1] == "same email a@x.co"
