"""What the Users page accepts: a user's details and a password, each bad field with its message."""

from __future__ import annotations

import re
from typing import Any

from pydantic import EmailStr, Field, field_validator

from crm_core.kernel.inputs import _Input
from crm_core.models.enums import Language, Role, TicketCategory

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_BYTES = 72  # bcrypt reads no further, and bcrypt 5 refuses longer input
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class UserIn(_Input):
    username: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    email: EmailStr
    role: Role
    skills: list[TicketCategory] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)
    active: bool = True

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value and not USERNAME_PATTERN.match(value):
                raise ValueError("use letters, digits, dot, dash or underscore (2 to 64)")
        return value


class PasswordIn(_Input):
    password: str = Field(min_length=PASSWORD_MIN_LENGTH)

    @field_validator("password")
    @classmethod
    def _fits_bcrypt(cls, value: str) -> str:
        if len(value.encode()) > PASSWORD_MAX_BYTES:
            raise ValueError(f"must be at most {PASSWORD_MAX_BYTES} bytes")
        return value
