"""Two people importing the same new customers at the same moment: one import wins, the other
is refused with the rows it would have duplicated, and no customer exists twice."""

from __future__ import annotations

import re
import threading

from sqlalchemy import Engine, func, select

from crm_core.customers.customer_import import preview_customers
from crm_core.exchange import importing
from crm_core.exchange.importing import StalePreview
from crm_core.exchange.registry import importer
from crm_core.kernel.permissions import Actor
from crm_core.models import Customer
from db.session import session_scope

ROWS = 200
CSV = "name,email\n" + "".join(f"Pelanggan {i},p{i}@example.com\n" for i in range(ROWS))


def test_two_concurrent_create_only_imports_of_the_same_emails_create_each_customer_once(
    engine: Engine, admin: Actor, manager: Actor
) -> None:
    frame = importing.read_csv(CSV.encode())
    mapping = {"name": "name", "email": "email"}
    previews = {}
    for actor in (admin, manager):  # both previewed before either imports: all 200 are new
        with session_scope(engine, write=False) as s:
            previews[actor.id] = preview_customers(s, actor, frame, mapping, "create_only", "email")
    start, outcomes = threading.Barrier(2), {}

    def run(actor: Actor) -> None:
        start.wait()
        try:
            with session_scope(engine) as s:
                importer("customers").write(s, actor, previews[actor.id], f"{actor.username}.csv")
            outcomes[actor.username] = "imported"
        except StalePreview as refusal:
            outcomes[actor.username] = str(refusal)

    threads = [threading.Thread(target=run, args=(a,)) for a in (admin, manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == ROWS
    refused = [text for text in outcomes.values() if text != "imported"]
    assert len(refused) == 1 and len(outcomes) == 2  # one imported, one refused
    # The losing import says which rows: those the winner had written when it looked (the
    # winner commits in chunks, so some or all 200), from the file's first line on.
    named = re.search(r"(\d+) rows would now be imported differently", refused[0])
    assert named is not None and 1 <= int(named.group(1)) <= ROWS
    assert "(rows 2, 3, 4, 5, 6 and " in refused[0]
