"""Support tickets with SLA due times, responses, breaches and CSAT, and their event history;
the team's canned answers and knowledge-base articles."""

from __future__ import annotations

import numpy as np

from crm_core.models import Article, Ticket, TicketEvent
from crm_core.models.enums import Channel, Priority, TicketCategory, TicketEventKind, TicketStatus
from db.demo.context import DAY, HOUR, MINUTE, NO_TIME, NULL, Ctx, pick
from db.demo.orders import Orders
from db.demo.people import LANGUAGES, Customers
from db.demo.staff import Staff
from db.demo.texts import TICKET_BODY, TICKET_COMMENTS, TICKET_SUBJECTS
from db.demo.writer import Coded, Rows, Times, versioned

PRIORITIES = list(Priority)
CATEGORIES = list(TicketCategory)
STATUSES = list(TicketStatus)
KINDS = list(TicketEventKind)
# Hours to first response and to resolution, by priority.
SLA_HOURS = {Priority.URGENT: (1, 8), Priority.HIGH: (4, 24), Priority.NORMAL: (8, 72),
             Priority.LOW: (24, 120)}  # fmt: skip
PRIORITY_MIX = {Priority.LOW: 20, Priority.NORMAL: 50, Priority.HIGH: 22, Priority.URGENT: 8}
CATEGORY_MIX = {TicketCategory.BILLING: 15, TicketCategory.DELIVERY: 30,
                TicketCategory.PRODUCT: 25, TicketCategory.TECHNICAL: 10,
                TicketCategory.ACCOUNT: 10, TicketCategory.OTHER: 10}  # fmt: skip
CHANNEL_MIX = {Channel.EMAIL: 35, Channel.CHAT: 30, Channel.PHONE: 20, Channel.WEB: 10,
               Channel.SOCIAL: 5}  # fmt: skip
# CSAT 1..5 shares when the SLA was kept and when it was breached.
CSAT_KEPT = (0.02, 0.04, 0.10, 0.34, 0.50)
CSAT_BREACHED = (0.12, 0.18, 0.30, 0.25, 0.15)
FROM_ORDERS = 0.75  # share of tickets raised a few days after an order
RECENT = 0.06  # share raised in the last ten days, so the queue has open work


def build_tickets(
    ctx: Ctx, staff: Staff, customers: Customers, orders: Orders
) -> tuple[Rows, Rows]:
    """Tickets (ids in order of creation) and their events."""
    rng, n = ctx.rng, ctx.size.tickets
    customer, created = _raised(ctx, customers, orders, n)
    order = np.argsort(created, kind="stable")
    customer, created = customer[order], created[order]
    priority = np.array([PRIORITIES.index(p) for p in PRIORITY_MIX])[pick(rng, PRIORITY_MIX, n)]
    category = np.array([CATEGORIES.index(c) for c in CATEGORY_MIX])[pick(rng, CATEGORY_MIX, n)]
    language = customers["language"][customer]
    agent_rank = _assign(ctx, staff, category, language)
    speed = rng.uniform(0.7, 1.5, staff.support_ids.size)[agent_rank]  # slow and fast agents
    t = _timeline(ctx, created, priority, speed)
    events, last = _events(ctx, staff, agent_rank, created, t)
    subjects, bodies = _texts(ctx, category)
    tickets = Rows(
        Ticket,
        n,
        {
            "id": np.arange(1, n + 1),
            "customer_id": customer + 1,
            "subject": subjects,
            "body": bodies,
            "channel": Coded(pick(rng, CHANNEL_MIX, n), list(CHANNEL_MIX)),
            "category": Coded(category, CATEGORIES),
            "priority": Coded(priority, PRIORITIES),
            "status": Coded(t["status"], STATUSES),
            "language": Coded(language, [lang.value for lang in LANGUAGES]),
            "assignee_id": staff.support_ids[agent_rank],
            "first_response_at": Times(t["first"]),
            "resolved_at": Times(t["done"]),
            "first_response_due": Times(t["first_due"]),
            "resolution_due": Times(t["done_due"]),
            "csat": _csat(ctx, t["done"] != NO_TIME, t["breached"]),
            **versioned(created, last),
        },
    )
    return tickets, events


def _timeline(
    ctx: Ctx, created: np.ndarray, priority: np.ndarray, speed: np.ndarray
) -> dict[str, np.ndarray]:
    """Due times from the SLA; reply and resolution typically at a third of the allowed time,
    with a long tail (lognormal) that breaches about one ticket in six; status as of `as_of`."""
    rng, n = ctx.rng, created.size
    hours = np.array([SLA_HOURS[p] for p in PRIORITIES]) * HOUR
    first_due, done_due = created + hours[priority, 0], created + hours[priority, 1]
    reply = hours[priority, 0] * speed * rng.lognormal(np.log(0.27), 0.9, n)
    first = np.maximum(created + reply.astype(np.int64), created + MINUTE)
    fix = hours[priority, 1] * speed * rng.lognormal(np.log(0.27), 0.85, n)
    done = np.maximum(first + fix.astype(np.int64), first + 10 * MINUTE)
    answered, resolved = first < ctx.as_of, done < ctx.as_of
    pending = answered & ~resolved & (rng.random(n) < 0.3)
    closed = resolved & (done < ctx.as_of - 3 * DAY)
    status = np.select(
        [~answered, pending, ~resolved, closed],
        [STATUSES.index(s) for s in (TicketStatus.NEW, TicketStatus.PENDING, TicketStatus.OPEN,
                                     TicketStatus.CLOSED)],
        STATUSES.index(TicketStatus.RESOLVED),
    )  # fmt: skip
    return {
        "first": np.where(answered, first, NO_TIME),
        "done": np.where(resolved, done, NO_TIME),
        "first_due": first_due,
        "done_due": done_due,
        "breached": (answered & (first > first_due)) | (resolved & (done > done_due)),
        "pending": pending,
        "closed": closed,
        "status": status,
    }


def _texts(ctx: Ctx, category: np.ndarray) -> tuple[list[str], list[str]]:
    subjects = [ctx.rnd.choice(TICKET_SUBJECTS[CATEGORIES[c]]) for c in category.tolist()]
    bodies = [
        TICKET_BODY[i % len(TICKET_BODY)].format(subject_lower=s[0].lower() + s[1:])
        for i, s in enumerate(subjects)
    ]
    return subjects, bodies


def _raised(
    ctx: Ctx, customers: Customers, orders: Orders, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Most tickets follow an order by hours to days; the rest come from anyone, any time;
    a few are from the last ten days, so the queue has open work."""
    rng = ctx.rng
    customer = rng.integers(0, customers.n, n)
    since = np.maximum(customers["created_at"][customer], ctx.start)
    created = ctx.uniform_times(since, ctx.as_of - HOUR, n)
    if orders.n:
        after_order = rng.random(n) < FROM_ORDERS
        which = rng.integers(0, orders.n, n)
        soon = orders.at[which] + rng.integers(2 * HOUR, 10 * DAY, n)
        customer = np.where(after_order, orders.customer[which], customer)
        created = np.where(after_order, soon, created)
    since = np.maximum(customers["created_at"][customer], ctx.as_of - 10 * DAY)
    recent = rng.random(n) < RECENT
    created = np.where(recent, ctx.uniform_times(since, ctx.as_of - MINUTE, n), created)
    return customer, np.minimum(created, ctx.as_of - MINUTE)


def _assign(ctx: Ctx, staff: Staff, category: np.ndarray, language: np.ndarray) -> np.ndarray:
    """An agent with the category's skill who speaks the customer's language, when there is one."""
    out = np.zeros(category.size, dtype=np.int64)
    everyone = np.arange(staff.support_ids.size)
    for c, cat in enumerate(CATEGORIES):
        for lang_code, lang in enumerate(LANGUAGES):
            where = np.flatnonzero((category == c) & (language == lang_code))
            able = [r for r in everyone if cat.value in staff.support_skills[r]
                    and lang.value in staff.support_languages[r]]  # fmt: skip
            speaks = [r for r in everyone if lang.value in staff.support_languages[r]]
            out[where] = ctx.rng.choice(able or speaks or everyone, where.size)
    return out


def _csat(ctx: Ctx, resolved: np.ndarray, breached: np.ndarray) -> np.ndarray:
    rng, n = ctx.rng, resolved.size
    kept = rng.choice(5, n, p=CSAT_KEPT) + 1
    broke = rng.choice(5, n, p=CSAT_BREACHED) + 1
    rated = resolved & (rng.random(n) < 0.75)
    return np.where(rated, np.where(breached, broke, kept), NULL)


REPLY = "Thanks for reaching out, we are looking into it."


def _events(
    ctx: Ctx, staff: Staff, agent_rank: np.ndarray, created: np.ndarray, t: dict[str, np.ndarray]
) -> tuple[Rows, np.ndarray]:
    """Assignment, first reply, status moves and some internal notes; and each ticket's last
    event time."""
    rng, n = ctx.rng, created.size
    first, done, pending, closed = t["first"], t["done"], t["pending"], t["closed"]
    answered, resolved = first != NO_TIME, done != NO_TIME
    agent = staff.support_ids[agent_rank]
    note_at = np.where(resolved, (first + done) // 2, first + HOUR)
    noted = answered & (rng.random(n) < 0.5) & (note_at < ctx.as_of)
    pause_at = np.where(resolved, first + (done - first) // 3, first + (ctx.as_of - first) // 2)
    paused = ((answered & resolved & (rng.random(n) < 0.25)) | pending) & (pause_at < ctx.as_of)
    resume_at = first + 2 * (done - first) // 3
    note = 2 + rng.integers(0, len(TICKET_COMMENTS), n)
    s = {status: 1 + STATUSES.index(status) for status in STATUSES}
    routed = 1 + len(STATUSES) + agent_rank
    nobody = np.zeros(n, dtype=np.int64)
    c, st, asg = (
        KINDS.index(TicketEventKind(kind)) for kind in ("comment", "status", "assignment")
    )
    parts: list[tuple[np.ndarray | int, ...]] = [  # mask, at, kind, actor, from, to, body
        (np.ones(n, bool), created + rng.integers(5, 60, n), asg, nobody, 0, routed, 0),
        (answered, first, st, agent, s[TicketStatus.NEW], s[TicketStatus.OPEN], 0),
        (answered, first, c, agent, 0, 0, 1),
        (paused, pause_at, st, agent, s[TicketStatus.OPEN], s[TicketStatus.PENDING], 0),
        (paused & resolved, resume_at, st, agent, s[TicketStatus.PENDING], s[TicketStatus.OPEN], 0),
        (noted, note_at, c, agent, 0, 0, note),
        (resolved, done, st, agent, s[TicketStatus.OPEN], s[TicketStatus.RESOLVED], 0),
        (closed, done + 3 * DAY, st, nobody, s[TicketStatus.RESOLVED], s[TicketStatus.CLOSED], 0),
    ]  # fmt: skip
    cols: list[list[np.ndarray]] = [[] for _ in range(7)]
    for mask, at, kind, actor, frm, to, body in parts:
        where = np.flatnonzero(mask)
        cols[0].append(where)
        for i, value in enumerate((at, kind, actor, frm, to, body), start=1):
            cols[i].append(np.broadcast_to(value, n)[where])
    ticket, at, kind, actor, frm, to, body = (np.concatenate(col) for col in cols)
    last = created.copy()
    np.maximum.at(last, ticket, at)
    order = np.lexsort((ticket, at))
    return _event_rows(staff, order, ticket, at, kind, actor, frm, to, body), last


def _event_rows(staff: Staff, order: np.ndarray, *columns: np.ndarray) -> Rows:
    ticket, at, kind, actor, frm, to, body = (col[order] for col in columns)
    values = [None, *(s.value for s in STATUSES),
              *(staff.names[int(uid)] for uid in staff.support_ids.tolist())]  # fmt: skip
    n = ticket.size
    return Rows(
        TicketEvent,
        n,
        {
            "id": np.arange(1, n + 1),
            "ticket_id": ticket + 1,
            "at": Times(at),
            "actor_id": np.where(actor > 0, actor, NULL),
            "kind": Coded(kind, KINDS),
            "body": Coded(body, [None, REPLY, *TICKET_COMMENTS]),
            "from_value": Coded(frm, values),
            "to_value": Coded(to, values),
        },
    )


# Canned answers and knowledge-base articles: (kind, category or None, language, public,
# title, body). The public articles make the FAQ page.
ARTICLES: tuple[tuple[str, str | None, str, bool, str, str], ...] = (
    ("canned", None, "id", False, "Salam pembuka",
     "Halo Kak, terima kasih sudah menghubungi kami. Kami bantu cek sekarang ya."),
    ("canned", None, "en", False, "Greeting",
     "Hello, thank you for reaching out. We are looking into it right away."),
    ("canned", "delivery", "id", False, "Paket terlambat",
     "Mohon maaf atas keterlambatan paket Kakak. Kami sudah menghubungi kurir; nomor resi "
     "dan perkiraan tiba kami kirimkan hari ini."),
    ("canned", "billing", "id", False, "Tagihan ganda",
     "Kami sudah memeriksa tagihan Kakak dan menemukan tagihan ganda. Dana akan kembali ke "
     "rekening dalam 3-5 hari kerja."),
    ("canned", "billing", "en", False, "Double charge",
     "We checked your bill and found the double charge. The money will be back in your "
     "account within 3-5 working days."),
    ("article", "delivery", "id", True, "Bagaimana cara melacak paket?",
     "Buka menu Pesanan, pilih pesanan Anda, lalu tekan Lacak. Nomor resi juga kami kirim "
     "lewat email dan WhatsApp setelah paket diserahkan ke kurir."),
    ("article", "delivery", "en", True, "How do I track my parcel?",
     "Open Orders, pick your order and press Track. We also send the tracking number by email "
     "and WhatsApp once the courier has the parcel."),
    ("article", "account", "id", True, "Lupa kata sandi",
     "Tekan 'Lupa kata sandi' di halaman masuk, lalu ikuti tautan yang kami kirim ke email "
     "Anda. Tautan berlaku 30 menit."),
    ("article", "technical", "id", False, "Internal: aplikasi tidak bisa dibuka",
     "Minta pelanggan memperbarui aplikasi dan menghapus cache. Bila masih gagal, catat tipe "
     "ponsel dan versi aplikasi, lalu teruskan ke tim teknis."),
)  # fmt: skip


def build_articles(ctx: Ctx) -> Rows:
    """The team's canned answers and articles, written when the demo business starts."""
    n = len(ARTICLES)
    written = np.full(n, ctx.start, dtype="int64")
    kinds, categories, languages, public, titles, bodies = zip(*ARTICLES, strict=True)
    return Rows(
        Article,
        n,
        {
            "id": np.arange(1, n + 1),
            "kind": list(kinds),
            "category": list(categories),
            "language": list(languages),
            "public": list(public),
            "title": list(titles),
            "body": list(bodies),
            **versioned(written),
        },
    )
