"""Demo staff (the four sign-in users plus sales reps and agents) and pools of names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from crm_core.models import User
from crm_core.models.enums import Language, Role, TicketCategory
from db.demo.context import DAY, Ctx
from db.demo.writer import Const, Rows, versioned

DEMO_PASSWORD = "demo"
DEMO_USERS: tuple[tuple[str, str, Role], ...] = (
    ("admin", "Rina Wijaya", Role.ADMIN),
    ("manager", "Budi Santoso", Role.MANAGER),
    ("sales", "Dewi Lestari", Role.SALES),
    ("support", "Agus Pratama", Role.SUPPORT),
)
STAFF_EMAIL_DOMAIN = "example.com"
_POOL = 300


@dataclass(frozen=True)
class NamePools:
    """Names and streets drawn once from Faker, then combined with the generator's rng."""

    first: dict[tuple[str, str], list[str]]  # (locale, "female"/"male") -> first names
    last: dict[tuple[str, str], list[str]]
    streets: dict[str, list[str]]  # locale -> street lines without a house number
    companies_en: list[str]


def name_pools(ctx: Ctx) -> NamePools:
    ind, eng = ctx.fake["id_ID"], ctx.fake["en_US"]
    first, last = {}, {}
    for gender in ("female", "male"):
        first["id", gender] = [getattr(ind, f"first_name_{gender}")() for _ in range(_POOL)]
        last["id", gender] = [getattr(ind, f"last_name_{gender}")() for _ in range(_POOL)]
        first["en", gender] = [getattr(eng, f"first_name_{gender}")() for _ in range(_POOL)]
        last["en", gender] = [eng.last_name() for _ in range(_POOL)]
    streets = {
        "id": [ind.street_name() for _ in range(_POOL)],
        "en": [eng.street_name() for _ in range(_POOL)],
    }
    companies = [eng.last_name() for _ in range(_POOL)]
    return NamePools(first, last, streets, companies)


def slug(text: str, sep: str = ".") -> str:
    """ASCII lower-case words joined by `sep`: "Siti Nur'aini" -> "siti.nuraini"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower().replace("'", ""))
    return sep.join(words)


@dataclass
class Staff:
    rows: Rows
    ids: dict[str, int]  # username -> id
    names: dict[int, str]  # id -> the name the app shows and writes in a ticket's history
    sales_ids: np.ndarray
    support_ids: np.ndarray
    support_skills: list[frozenset[str]]
    support_languages: list[frozenset[str]]

    @property
    def manager_id(self) -> int:
        return self.ids["manager"]


def build_staff(ctx: Ctx, pools: NamePools, password_hash: str) -> Staff:
    """The four demo users, then `sales_reps` more sales users and `support_agents` agents."""
    people = [(u, name, role) for u, name, role in DEMO_USERS]
    taken = {u for u, _, _ in people}
    extra = [Role.SALES] * ctx.size.sales_reps + [Role.SUPPORT] * ctx.size.support_agents
    for role in extra:
        gender = ctx.rnd.choice(("female", "male"))
        first, last = pools.first["id", gender], pools.last["id", gender]
        name = f"{ctx.rnd.choice(first)} {ctx.rnd.choice(last)}"
        username = slug(name)
        while username in taken:
            username = f"{slug(name)}{len(taken)}"
        taken.add(username)
        people.append((username, name, role))
    support_rank = [i for i, (_, _, role) in enumerate(people) if role == Role.SUPPORT]
    skills: list[list[str]] = [[] for _ in people]
    both = [Language.BAHASA_INDONESIA.value, Language.ENGLISH.value]
    languages = [both if i % 2 == 0 else both[:1] for i in range(len(people))]
    support_skills, support_languages = [], []
    for rank, index in enumerate(support_rank):
        skills[index], languages[index] = _agent_profile(ctx, rank)
        support_skills.append(frozenset(skills[index]))
        support_languages.append(frozenset(languages[index]))
    return Staff(
        rows=_user_rows(ctx, people, skills, languages, password_hash),
        ids={username: i + 1 for i, (username, _, _) in enumerate(people)},
        names={i + 1: name for i, (_, name, _) in enumerate(people)},
        sales_ids=np.array([i + 1 for i, p in enumerate(people) if p[2] == Role.SALES]),
        support_ids=np.array([i + 1 for i in support_rank]),
        support_skills=support_skills,
        support_languages=support_languages,
    )


def _agent_profile(ctx: Ctx, rank: int) -> tuple[list[str], list[str]]:
    """Skills cover every category between the agents; about half also speak English."""
    categories = [c.value for c in TicketCategory]
    if rank == 0:  # the demo "support" user
        return ["billing", "delivery", "product"], ["id", "en"]
    chosen = {categories[rank % 6], categories[(rank + 2) % 6]}
    if ctx.rnd.random() < 0.5:
        chosen.add(ctx.rnd.choice(categories))
    speaks_english = rank % 2 == 1 or ctx.rnd.random() < 0.3
    return sorted(chosen, key=categories.index), ["id", "en"] if speaks_english else ["id"]


def _user_rows(
    ctx: Ctx,
    people: list[tuple[str, str, Role]],
    skills: list[list[str]],
    languages: list[list[str]],
    password_hash: str,
) -> Rows:
    n = len(people)
    joined = ctx.start - (ctx.rng.integers(30, 400, n) * DAY)
    return Rows(
        User,
        n,
        {
            "id": np.arange(1, n + 1),
            "username": [p[0] for p in people],
            "name": [p[1] for p in people],
            "email": [f"{p[0]}@{STAFF_EMAIL_DOMAIN}" for p in people],
            "role": [p[2] for p in people],
            "password_hash": Const(password_hash),
            "skills": skills,
            "languages": languages,
            "active": Const(True),
            "is_demo": Const(True),
            "session_version": Const(1),
            "must_change_password": Const(False),
            **versioned(joined),
        },
    )
