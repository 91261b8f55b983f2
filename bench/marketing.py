"""The Marketing figures at benchmark scale, the old way and the new, and the Segments page
through AppTest (first view and warm reruns); reuses (or seeds) bench.run's database.

    python -m bench.marketing                       # SQLite, 100,000 customers
    python -m bench.marketing --backend postgresql

Old: every stored value row loaded into pandas (what the pages read each run before), the
attributes of every customer loaded and split in pandas. New: each split a GROUP BY over
`customer_values` in the database, one narrow per-customer query, rules tested in the same
SQL query as the attributes. The pages: Segments, the Segment builder on the rule below with
an owner chosen, Campaigns on its largest campaign's results. Prints a table; writes
bench/.data/marketing-<backend>-<customers>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine, func, select

from bench.pages import page_times
from bench.run import AS_OF, HERE, database, seeded, timed
from crm_core.customers import value_store
from crm_core.customers.read import last_quarter_end
from crm_core.kernel.permissions import Actor
from crm_core.marketing import dashboard, journey_store, segments, splits
from crm_core.marketing.dashboard import DIMENSIONS
from crm_core.marketing.rules import parse_rule
from crm_core.models import CampaignMember, User
from crm_core.models.enums import Role
from db.session import session_scope

RULE = parse_rule({"groups": [{"conditions": [
    {"field": "value_tier", "op": "in", "value": ["Most Growable"]},
    {"field": "region", "op": "in", "value": ["Jawa Barat"]},
    {"field": "days_since_last_order", "op": "at most", "value": 90},
]}]})  # fmt: skip


def figures(engine: Engine, runs: int, *, page_too: bool = True) -> dict[str, float]:
    out: dict[str, float] = {}

    def run(label: str, work: Any, repeat: int = runs) -> Any:
        seconds, result = timed(repeat, work)
        out[label] = seconds
        print(f"  {label:<64} {seconds:8.3f} s", flush=True)
        return result

    with session_scope(engine, write=False) as s:
        user = s.scalars(select(User).where(User.role == Role.MANAGER)).first()
        assert user is not None
        manager = Actor(user.id, user.username, user.name, user.role)
        seller = s.scalars(select(User).where(User.role == Role.SALES)).first()
        assert seller is not None
        sales = Actor(seller.id, seller.username, seller.name, seller.role)
        as_of = value_store.as_of_now(AS_OF)
        values = run("old: stored value table into pandas (every page run)",
                     lambda: value_store.stored_values(s).frame)  # fmt: skip

        def old_dashboard() -> None:
            frame = dashboard.segment_dashboard(s, manager, values, as_of)
            for by in ("value_tier", "rfm_segment", "region"):
                dashboard.breakdown(frame, by)
            dashboard.concentration(frame, "net_revenue")
            dashboard.concentration(frame, "tickets")

        run("old: segment dashboard (attributes frame, 3 splits, concentration)", old_dashboard)

        def new_dashboard(actor: Actor) -> None:
            frame = splits.per_customer(s, actor)
            for by in ("value_tier", "rfm_segment", "region"):
                splits.split(s, actor, by, as_of)
            dashboard.concentration(frame, "net_revenue")
            dashboard.concentration(frame, "tickets")

        run("new: segment dashboard (per customer, 3 SQL splits, concentration)",
            lambda: new_dashboard(manager))  # fmt: skip
        run("new: the same for a salesperson (own amounts only)", lambda: new_dashboard(sales))
        run("new: per-customer figures (tier, amounts, tickets)",
            lambda: splits.per_customer(s, manager))  # fmt: skip
        for by in DIMENSIONS:
            run(f"new: split by {by} (GROUP BY)", lambda by=by: splits.split(s, manager, by, as_of))
        run("old: saved segment count, value conditions in pandas",
            lambda: segments.members(s, manager, RULE, values, as_of))  # fmt: skip
        run("new: saved segment count, one SQL query",
            lambda: segments.members(s, manager, RULE, None, as_of))  # fmt: skip
    if page_too:
        out.update(page(engine, manager, runs))
    return out


def page(engine: Engine, actor: Actor, runs: int) -> dict[str, float]:
    """The Segments page, the Segment builder on RULE (with an owner chosen: its preview) and
    the Campaigns page on the largest campaign's results, through AppTest: the first view in
    this process, warm reruns."""
    out = page_times(engine, "marketing.segments", actor, runs, "Segments page")
    with session_scope(engine, write=False) as s:
        owner = s.scalars(select(User.id).where(User.role == Role.SALES)).first()
        biggest = s.scalar(
            select(CampaignMember.campaign_id)
            .group_by(CampaignMember.campaign_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    rule = RULE.model_dump(mode="json")
    builder = f"load_rule({rule!r})\nst.session_state['segb_owner'] = {owner!r}"
    out.update(_page_from(engine, "marketing.segment_builder", actor, runs,
                          "Segment builder (rule, owner preview)", builder,
                          "segb_layout"))  # fmt: skip
    if biggest is not None:
        chosen = f"st.session_state['campaigns_chosen'] = {biggest!r}"
        out.update(_page_from(engine, "marketing.campaigns", actor, runs,
                              "Campaigns page (largest campaign's results)", chosen,
                              "campaigns_chosen"))  # fmt: skip
    return out


def _page_from(
    engine: Engine, module: str, actor: Actor, runs: int, name: str, setup: str, marker: str
) -> dict[str, float]:
    """page_times on a page whose widgets start where a user left them: `setup` (code run
    once, before the first run, while `marker` is not in the session state) then render().
    page_times runs `from app_pages.<module> import render; render()`: the module it is
    given carries the setup in front of that line."""
    script = (
        f"{module} import *  # noqa\nimport streamlit as st\n"
        f"if {marker!r} not in st.session_state:\n"
        + "".join(f"    {line}\n" for line in setup.splitlines())
        + f"from app_pages.{module}"
    )
    return page_times(engine, script, actor, runs, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-page", action="store_true", help="crm_core figures only")
    args = parser.parse_args(argv)
    engine = database(args.backend, args.customers)
    print(f"Marketing benchmark on {args.backend}, {args.customers:,} customers, "
          f"{datetime.now():%Y-%m-%d %H:%M}, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    if not args.no_page:  # a shared database another branch migrated is only read
        seeded(engine, args.customers)
    with session_scope(engine, write=False) as s:
        quarter_end = last_quarter_end(value_store.as_of_now(AS_OF).date())
        # a database refreshed before the tiers and the journey were stored has none: the
        # page would compute them
        stale = (
            value_store.is_empty(s)
            or value_store.stored_tiers_on(s, quarter_end) is None
            or value_store.stored_figure(s, journey_store.NAME) is None
        )
    if stale:
        value_store.refresh(partial(session_scope, engine), full=True, as_of=AS_OF)
    results = figures(engine, args.runs, page_too=not args.no_page)
    out = HERE / ".data" / f"marketing-{args.backend}-{args.customers}.json"
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
