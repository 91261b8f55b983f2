"""What a ticket form, a comment, a status move and a rating may hold: one message per bad field."""

from __future__ import annotations

from pydantic import EmailStr, Field, field_validator

from crm_core.kernel.inputs import _Input, normalize_email
from crm_core.models.enums import Channel, Language, Priority, TicketCategory, TicketStatus

# The channels a customer reaches support by (not a meeting, nor the store).
TICKET_CHANNELS = (
    Channel.PHONE,
    Channel.EMAIL,
    Channel.WHATSAPP,
    Channel.WEB,
    Channel.CHAT,
    Channel.SOCIAL,
)


class TicketIn(_Input):
    customer_id: int
    subject: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20_000)
    channel: Channel = Channel.EMAIL
    category: TicketCategory = TicketCategory.OTHER
    priority: Priority = Priority.NORMAL
    language: Language | None = None  # None: the customer's preferred language


class TicketEditIn(_Input):
    """The fields an agent edits on a ticket page (status, priority, assignee: their own moves)."""

    subject: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20_000)
    channel: Channel
    category: TicketCategory
    language: Language | None = None


class CommentIn(_Input):
    body: str = Field(min_length=1, max_length=20_000)
    reply: bool = False  # True: sent to the customer; False: an internal note


class StatusIn(_Input):
    status: TicketStatus


class PriorityIn(_Input):
    priority: Priority


class RatingIn(_Input):
    csat: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class RequestIn(_Input):
    """What the public support form asks: who writes, how to reach them, and the request."""

    name: str = Field(min_length=1, max_length=120)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=40)
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=5000)
    category: TicketCategory = TicketCategory.OTHER
    language: Language | None = None  # the page's language: routing prefers who speaks it
    website: str | None = None  # the honeypot: people leave it empty

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_email(value)


class CustomerMessageIn(_Input):
    """A customer's message through their reply link."""

    body: str = Field(min_length=1, max_length=5000)
