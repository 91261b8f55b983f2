"""Declarative base, column types and mixins shared by every entity."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    FromClause,
    MetaData,
    Numeric,
    String,
    Table,
    TypeDecorator,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from crm_core.models.enums import Entity

# Set before the first migration so every constraint has a stable, portable name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC: the one time representation stored and computed with."""
    return datetime.now(UTC).replace(tzinfo=None)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores naive UTC on every engine; aware values are converted, not trusted blindly."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value


Money = Numeric(14, 2, asdecimal=True)


def enum_column(enum_cls: type[StrEnum]) -> SAEnum:
    """Stores a StrEnum by value in a VARCHAR, identical on SQLite and PostgreSQL."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UtcDateTime(),
        Decimal: Money,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }
    # Which entity a model is (permissions, audit entries, messages); None: a part of one
    # (an order's line, a ticket's event), covered by its parent's rules.
    ENTITY: ClassVar[Entity | None] = None


def model_of(entity: Entity) -> type[Base] | None:
    """The model that declares itself `entity` (None for one without a table of its own)."""
    for mapper in Base.registry.mappers:
        if mapper.class_.ENTITY is entity:
            return mapper.class_
    return None


def table_of(model: type[Base]) -> Table:
    """A model's Table, for Core statements. Declarative types `__table__` as any FromClause
    (a class may map a join or a subquery); every Relasi model maps one table."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} does not map one table")
    return table


class Versioned:
    """An editable row: optimistic lock on `version`, who changed it last and when."""

    if TYPE_CHECKING:  # only mapped entities mix this in, so the class always has a table
        __table__: ClassVar[FromClause]

    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:  # noqa: N805 - SQLAlchemy passes the class
        return mapped_column(ForeignKey("users.id"), nullable=True)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        # The UPDATE carries `WHERE version = <read>` so a race between two
        # transactions also fails instead of silently overwriting.
        return {"version_id_col": cls.__table__.c.version}


class SoftDeletable:
    """Deleted rows stay (restorable by a manager or admin) and are hidden by queries."""

    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


def short_text(length: int = 200) -> String:
    return String(length)
