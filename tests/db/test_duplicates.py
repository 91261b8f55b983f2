"""One definition of a likely duplicate: the form, the import and the data-quality page agree;
and crm_core, not a page, decides whether a likely duplicate is created.

Before there was one, the data-quality page clustered two contacts with the same name at the
same company, while the form's warning and the import looked at emails and phones only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, insert, select

from crm_core.customers import accounts, data_quality, duplicates
from crm_core.customers import records as customers
from crm_core.customers.customer_import import preview_customers
from crm_core.customers.duplicates import DuplicateMatch, LikelyDuplicate
from crm_core.exchange import importing
from crm_core.exchange.importing import RowOutcome, RowStatus
from crm_core.kernel.errors import CRMError
from crm_core.kernel.messages import render
from crm_core.kernel.permissions import Actor
from crm_core.models import Account, Customer
from db.session import session_scope
from support import a_customer


def add_account(engine: Engine, name: str) -> int:
    with session_scope(engine) as s:
        return s.execute(insert(Account).returning(Account.id), [{"name": name}]).scalar_one()


def count(engine: Engine, model: type) -> int:
    with session_scope(engine, write=False) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def clustered(engine: Engine, actor: Actor) -> list[set[int]]:
    with session_scope(engine, write=False) as s:
        found = data_quality.duplicate_clusters(s, actor)
    return [set(ids) for _cluster, ids in found.groupby("cluster_id")["customer_id"]]


def imported(engine: Engine, actor: Actor, csv: str, mode: str = "create_only") -> RowOutcome:
    """The first row's fate in a preview of `csv` (headers Email and Nama)."""
    frame = importing.read_csv(csv.encode())
    with session_scope(engine, write=False) as s:
        preview = preview_customers(
            s, actor, frame, {"Email": "email", "Nama": "name"}, mode, "email"
        )
    return preview.rows[0]


def test_the_same_name_at_the_same_company_is_a_likely_duplicate_everywhere(
    engine: Engine, manager: Actor
) -> None:
    maju, maju_again = add_account(engine, "PT Maju"), add_account(engine, "PT. MAJU")
    siti = a_customer(engine, manager, name="Siti Rahma", email="siti@maju.id", account_id=maju)
    dewi = a_customer(engine, manager, name="Dewi", email="dewi@maju.id", account_id=maju)
    with session_scope(engine, write=False) as s:
        form = duplicates.likely_duplicates(s, None, None, name="siti  rahmá", account_id=maju)
        other_record = duplicates.likely_duplicates(
            s, None, None, name="Siti Rahma", account_id=maju_again
        )
    expected = (siti, "Siti Rahma", "same name and company (siti rahma, pt maju)")
    assert said(form) == said(other_record) == [expected]  # the company by name, however typed
    # A file renaming Dewi (found by her email) to Siti's name, at the same company:
    row = imported(engine, manager, "Email,Nama\ndewi@maju.id,siti  rahmá\n", "create_or_update")
    assert (row.status, [render(r) for r in row.reasons]) == (
        RowStatus.DUPLICATE,
        [f"same name and company as customer #{siti} Siti Rahma"],
    )
    assert clustered(engine, manager) == []
    with session_scope(engine) as s:
        customers.update_customer(s, manager, dewi, 1, {"name": "siti  rahmá"})
    assert clustered(engine, manager) == [{siti, dewi}]


def test_the_same_name_alone_or_at_another_company_is_nobodys_duplicate(
    engine: Engine, manager: Actor
) -> None:
    maju, lain = add_account(engine, "PT Maju"), add_account(engine, "CV Lain")
    a_customer(engine, manager, name="Siti Rahma", email="siti@maju.id", account_id=maju)
    a_customer(engine, manager, name="Siti Rahma", email="siti@lain.id", account_id=lain)
    a_customer(engine, manager, name="Siti Rahma", email="siti@home.id")
    with session_scope(engine, write=False) as s:
        alone = duplicates.likely_duplicates(s, "new@x.id", None, name="Siti Rahma")
        elsewhere = duplicates.likely_duplicates(s, None, None, name="Siti R", account_id=maju)
    assert (alone, elsewhere) == ([], [])
    assert imported(engine, manager, "Email,Nama\nnew@x.id,Siti Rahma\n").status is RowStatus.OK
    assert clustered(engine, manager) == []


def test_an_account_renamed_or_added_since_the_last_check_counts_at_once(
    engine: Engine, manager: Actor
) -> None:
    maju, lain = add_account(engine, "PT Maju"), add_account(engine, "CV Lain")
    siti = a_customer(engine, manager, name="Siti Rahma", email="siti@maju.id", account_id=maju)
    a_customer(engine, manager, name="Siti Rahma", email="siti@lain.id", account_id=lain)

    def matches_at(account_id: int) -> list[int]:
        with session_scope(engine, write=False) as s:
            found = duplicates.likely_duplicates(s, None, None, name="Siti Rahma",
                                                 account_id=account_id)  # fmt: skip
        return [m.customer_id for m in found]

    assert siti not in matches_at(lain)  # CV Lain is another company
    with session_scope(engine) as s:
        accounts.update_account(s, manager, lain, 1, {"name": "P.T. Maju"})
    assert siti in matches_at(lain)  # the same company now, however typed
    newer = add_account(engine, "pt  MAJU")  # a row added without the write path
    assert siti in matches_at(newer)


def test_the_same_email_or_phone_however_typed_is_a_likely_duplicate_everywhere(
    engine: Engine, manager: Actor
) -> None:
    budi = a_customer(engine, manager, name="Budi", email="Budi@X.id", phone="0812-3456-7890")
    with session_scope(engine, write=False) as s:
        by_phone = duplicates.likely_duplicates(s, None, "+62 812 3456 7890", name="B. Santoso")
    assert said(by_phone) == [(budi, "Budi", "same phone (+6281234567890)")]
    row = imported(engine, manager, "Email,Nama\n budi@x.ID ,B. Santoso\n")
    assert (row.status, [render(r) for r in row.reasons]) == (
        RowStatus.DUPLICATE,
        [f"same email as customer #{budi} Budi"],
    )
    twin = a_customer(engine, manager, name="B. Santoso", phone="+62 812 3456 7890")
    assert clustered(engine, manager) == [{budi, twin}]


# The "create anyway" decision, made in crm_core


def test_a_likely_duplicate_is_refused_naming_the_matches_and_nothing_is_written(
    engine: Engine, sales: Actor
) -> None:
    budi = a_customer(engine, sales, name="Budi", phone="081234567890")
    with pytest.raises(LikelyDuplicate) as refused, session_scope(engine) as s:
        customers.create_customer(s, sales, {"name": "Budi S.", "phone": "+62 812 3456 7890"})
    assert said(refused.value.matches) == [(budi, "Budi", "same phone (+6281234567890)")]
    assert isinstance(refused.value, CRMError)
    assert str(refused.value) == (
        f"This looks like a customer we already have: #{budi} Budi (same phone (+6281234567890))."
    )
    assert count(engine, Customer) == 1


def test_create_anyway_with_the_matches_shown_creates_it_but_not_past_a_new_match(
    engine: Engine, sales: Actor
) -> None:
    budi = a_customer(engine, sales, name="Budi", phone="081234567890")
    twin = {"name": "Budi S.", "phone": "0812 3456 7890", "email": "budi@x.id"}
    with session_scope(engine) as s:
        first = customers.create_customer(s, sales, twin, allow_duplicate={budi}).id
    # A third Budi matches both now: confirming only the first is not enough.
    with pytest.raises(LikelyDuplicate) as refused, session_scope(engine) as s:
        customers.create_customer(s, sales, twin, allow_duplicate={budi})
    assert [m.customer_id for m in refused.value.matches] == [budi, first]
    with session_scope(engine) as s:
        customers.create_customer(s, sales, twin, allow_duplicate={budi, first})
        customers.create_customer(s, sales, twin, allow_duplicate=True)  # a script's choice
    assert count(engine, Customer) == 4


def test_a_customer_like_nobody_is_created_without_asking(engine: Engine, sales: Actor) -> None:
    a_customer(engine, sales, name="Budi", phone="081234567890", email="budi@x.id")
    with session_scope(engine) as s:
        customers.create_customer(s, sales, {"name": "Budi", "phone": "081299990000"})
    assert count(engine, Customer) == 2


def said(matches: list[DuplicateMatch]) -> list[tuple[int, str, str]]:
    """Each match with its reason in English (reasons are message codes)."""
    return [(m.customer_id, m.name, render(m.reason)) for m in matches]
