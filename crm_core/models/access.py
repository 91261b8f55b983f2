"""Sign-in bookkeeping kept apart from the users table: failed tries per typed username (known
or not, so a lockout tells nothing about which accounts exist) and the remembered sign-ins
each browser's cookie stands for (so a cookie is good only while its record is)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base


class SignInAttempt(Base):
    """Failed tries for one typed username within the lockout window."""

    __tablename__ = "sign_in_attempts"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime]


class RememberedSignIn(Base):
    """One browser's remember-me cookie, by the expiry it was issued with (to the second)."""

    __tablename__ = "remembered_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]
    issued_at: Mapped[datetime]
