"""Sign-in under attack: parallel wrong passwords cannot get past the limit, and nothing a
try answers (or how long it takes) tells an unknown username from a real or locked one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import bcrypt
import pytest
from sqlalchemy import Engine, select

from crm_core.admin import sign_in, users
from crm_core.kernel.permissions import Actor
from crm_core.models import SignInAttempt, utcnow
from db.session import session_scope
from support import PASSWORD


@pytest.fixture
def hashes_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every bcrypt hash a try checks, in order (the dummy one included)."""
    checked: list[bytes] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        checked.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(sign_in.bcrypt, "checkpw", counting)
    yield checked


def attempt(engine: Engine, username: str, password: str, now=None) -> sign_in.SignedIn | None:  # type: ignore[no-untyped-def]
    now = now or utcnow()
    with session_scope(engine) as s:
        counted = sign_in.count_try(s, username, now)
    with session_scope(engine) as s:
        return sign_in.check_password(s, username, password, counted, now)


def test_the_right_password_signs_in_and_forgives_earlier_failures(
    engine: Engine, sales: Actor
) -> None:
    assert attempt(engine, "sales", "wrong") is None
    signed = attempt(engine, " Sales ", PASSWORD)
    assert signed is not None and signed.actor.id == sales.id
    with session_scope(engine, write=False) as s:
        assert sign_in.failed_tries(s, "sales", utcnow()) == 0


def test_ten_parallel_wrong_passwords_check_at_most_five_and_lock_the_account(
    engine: Engine, sales: Actor, hashes_checked: list[bytes]
) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: attempt(engine, "sales", "guess"), range(10)))
    assert results == [None] * 10
    with session_scope(engine, write=False) as s:
        real_hash = users.get_user(s, sales, sales.id).password_hash.encode()
        assert sign_in.failed_tries(s, "sales", utcnow()) == 10
    assert hashes_checked.count(real_hash) == 5  # the other five met the dummy hash
    assert len(hashes_checked) == 10
    assert attempt(engine, "sales", PASSWORD) is None  # locked: even the right one waits


def test_a_lockout_ends_after_fifteen_minutes(engine: Engine, sales: Actor) -> None:
    start = utcnow()
    for _ in range(6):
        attempt(engine, "sales", "guess", start)
    assert attempt(engine, "sales", PASSWORD, start + timedelta(minutes=14)) is None
    later = start + sign_in.LOCKOUT + timedelta(minutes=15)
    assert attempt(engine, "sales", PASSWORD, later) is not None


def test_unknown_locked_and_wrong_answer_alike_after_one_hash_each(
    engine: Engine, sales: Actor, hashes_checked: list[bytes]
) -> None:
    for _ in range(5):
        attempt(engine, "nobody", "guess")
    assert attempt(engine, "nobody", "guess") is None
    assert attempt(engine, "sales", "guess") is None
    assert len(hashes_checked) == 7  # one bcrypt check per try, whatever the username
    with session_scope(engine, write=False) as s:
        # an unknown username locks exactly like a real one: locking tells nothing
        assert sign_in.failed_tries(s, "nobody", utcnow()) == 6


def test_a_password_with_spaces_at_its_ends_signs_in_as_typed(engine: Engine, admin: Actor) -> None:
    with session_scope(engine) as s:
        users.create_user(
            s, admin, {"username": "ayu", "name": "Ayu", "email": "ayu@example.com",
                       "role": "sales", "password": "  spaced out  "},
        )  # fmt: skip
    assert attempt(engine, "ayu", "spaced out") is None
    signed = attempt(engine, "ayu", "  spaced out  ")
    assert signed is not None and signed.must_change_password  # an admin chose it


def test_a_cookie_is_good_only_while_its_record_is(engine: Engine, sales: Actor) -> None:
    now = utcnow()
    expires = now + timedelta(days=7)
    with session_scope(engine) as s:
        sign_in.remember(s, "sales", expires, now)
    with session_scope(engine, write=False) as s:
        assert sign_in.remembered(s, "sales", expires + timedelta(microseconds=300), now)
        # a cookie claiming another expiry (a far-future one) has no record
        assert not sign_in.remembered(s, "sales", now + timedelta(days=3650), now)
        assert not sign_in.remembered(s, "sales", expires, expires + timedelta(seconds=1))
    with session_scope(engine) as s:
        users.logout(s, sales)
    with session_scope(engine, write=False) as s:
        assert not sign_in.remembered(s, "sales", expires, now)


def test_a_user_given_a_password_by_an_admin_must_choose_their_own(
    engine: Engine, admin: Actor, support: Actor
) -> None:
    with session_scope(engine) as s:
        users.reset_password(s, admin, support.id, 1, "admin-chose-this")
    signed = attempt(engine, "support", "admin-chose-this")
    assert signed is not None and signed.must_change_password
    with pytest.raises(users.ValidationError) as raised, session_scope(engine) as s:
        users.change_own_password(s, signed.actor, "admin-chose-this")
    assert raised.value.texts() == {"password": "choose a password other than the current one"}
    with session_scope(engine) as s:
        version = users.change_own_password(s, signed.actor, "my own secret")
    assert version == signed.session_version + 1
    again = attempt(engine, "support", "my own secret")
    assert again is not None and not again.must_change_password


def test_tries_older_than_the_lockout_window_are_not_kept(engine: Engine, sales: Actor) -> None:
    start = utcnow()
    for name in ("bot-1", "bot-2", "bot-3"):
        attempt(engine, name, "guess", start)
    attempt(engine, "sales", "guess", start + sign_in.LOCKOUT + timedelta(minutes=1))
    with session_scope(engine, write=False) as s:
        kept = s.scalars(select(SignInAttempt.username)).all()
    assert kept == ["sales"]
