"""Canned answers and knowledge-base articles on SQLite and PostgreSQL: managers write them
through the write path, agents get those of a ticket's category, the FAQ lists the public ones."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crm_core.kernel.errors import PermissionDenied
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import TicketCategory
from crm_core.service import articles
from db.session import session_scope


def test_agents_get_the_answers_of_the_tickets_category_canned_first_and_the_faq_the_public(
    engine: Engine, manager: Actor, support: Actor
) -> None:
    rows = [
        {
            "kind": "article",
            "title": "Lacak paket",
            "body": "Buka menu Pesanan...",
            "category": "delivery",
            "public": True,
            "language": "id",
        },
        {
            "kind": "canned",
            "title": "Maaf terlambat",
            "body": "Mohon maaf...",
            "category": "delivery",
        },
        {"kind": "canned", "title": "Salam penutup", "body": "Terima kasih"},  # any category
        {"kind": "canned", "title": "Refund", "body": "Dana kembali...", "category": "billing"},
        {
            "kind": "article",
            "title": "Internal: courier codes",
            "body": "...",
            "category": "delivery",
        },
    ]
    with session_scope(engine) as s:
        for data in rows:
            articles.create_article(s, manager, data)
    with session_scope(engine, write=False) as s:
        offered = articles.for_ticket(s, support, TicketCategory.DELIVERY, "id")
        assert offered["title"].tolist() == [
            "Maaf terlambat",
            "Salam penutup",
            "Internal: courier codes",
            "Lacak paket",
        ]
        assert articles.public_faq(s, "id")["title"].tolist() == ["Lacak paket"]
        assert articles.public_faq(s, "en").empty


def test_only_managers_write_articles_and_a_deleted_one_is_no_longer_offered(
    engine: Engine, session: Session, manager: Actor, support: Actor
) -> None:
    data = {"kind": "canned", "title": "Salam", "body": "Halo"}
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        articles.create_article(s, support, data)
    with session_scope(engine) as s:
        article_id = articles.create_article(s, manager, data).id
    with session_scope(engine) as s:
        articles.update_article(s, manager, article_id, 1, {**data, "body": "Halo, Kak"})
        articles.delete_article(s, manager, article_id, 2)
    with session_scope(engine, write=False) as s:
        assert articles.for_ticket(s, support, TicketCategory.OTHER, None).empty
