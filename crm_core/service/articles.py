"""Canned answers and knowledge-base articles: written and edited by managers through the write
path, offered per ticket category to agents answering, and the public ones as the FAQ."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from pydantic import Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.permissions import Action, Actor, require
from crm_core.models import Article
from crm_core.models.enums import ArticleKind, Entity, Language, TicketCategory

E = Entity.ARTICLE
COLUMNS = ["id", "kind", "title", "body", "category", "language", "public", "version"]


class ArticleIn(_Input):
    kind: ArticleKind
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000)
    category: TicketCategory | None = None  # None: any category
    language: Language | None = None
    public: bool = False


def create_article(session: Session, actor: Actor, data: Mapping[str, Any]) -> Article:
    values = validate(ArticleIn, data).model_dump()
    require(actor, E, Action.CREATE)
    return writepath.insert(session, actor, E, Article(), values)


def update_article(
    session: Session, actor: Actor, article_id: int, expected_version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    values = validate(ArticleIn, data).model_dump()
    article = writepath.load(session, Article, article_id)
    require(actor, E, Action.UPDATE, article)
    return writepath.update(session, actor, E, article, expected_version, values)


def delete_article(session: Session, actor: Actor, article_id: int, expected_version: int) -> None:
    article = writepath.load(session, Article, article_id)
    writepath.soft_delete(session, actor, E, article, expected_version)


def _frame(session: Session, stmt: Any) -> pd.DataFrame:
    frame = pd.DataFrame(session.execute(stmt).all(), columns=COLUMNS)
    for column in ("kind", "category", "language"):
        frame[column] = frame[column].map(lambda v: None if pd.isna(v) else str(v))
    return frame


def _columns() -> list[Any]:
    a = Article
    return [a.id, a.kind, a.title, a.body, a.category, a.language, a.public, a.version]


def list_articles(session: Session, actor: Actor) -> pd.DataFrame:
    """Every canned answer and article, by kind and title (for the managers' page)."""
    require(actor, E, Action.READ)
    stmt = (
        select(*_columns())
        .where(Article.deleted_at.is_(None))
        .order_by(Article.kind, Article.title, Article.id)
    )
    return _frame(session, stmt)


def for_ticket(
    session: Session, actor: Actor, category: TicketCategory, language: str | None
) -> pd.DataFrame:
    """What an agent may insert into a reply on a ticket of `category`: canned answers and
    articles of that category or of any, in the ticket's language first (canned first)."""
    require(actor, E, Action.READ)
    stmt = select(*_columns()).where(
        Article.deleted_at.is_(None),
        or_(Article.category == category, Article.category.is_(None)),
    )
    frame = _frame(session, stmt)
    if frame.empty:
        return frame
    frame["_lang"] = (frame["language"] != language) & frame["language"].notna()
    frame["_kind"] = frame["kind"] != ArticleKind.CANNED.value
    frame = frame.sort_values(["_lang", "_kind", "title", "id"])
    return frame.drop(columns=["_lang", "_kind"]).reset_index(drop=True)


def public_faq(session: Session, language: str | None = None) -> pd.DataFrame:
    """The public articles for the FAQ page (no sign-in): title, body and category, in
    `language` or in none given, by category and title."""
    stmt = (
        select(*_columns())
        .where(
            Article.deleted_at.is_(None),
            Article.public.is_(True),
            Article.kind == ArticleKind.ARTICLE,
        )
        .order_by(Article.category, Article.title, Article.id)
    )
    if language is not None:
        stmt = stmt.where(or_(Article.language == language, Article.language.is_(None)))
    return _frame(session, stmt)[["id", "title", "body", "category"]]
