"""The CRM's vocabularies (roles, stages, statuses, channels), each defined once with its order."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    SUPPORT = "support"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNDISCLOSED = "undisclosed"


class Channel(StrEnum):
    """Touchpoint channels; also a customer's preferred channel."""

    PHONE = "phone"
    EMAIL = "email"
    MEETING = "meeting"
    WEB = "web"
    CHAT = "chat"
    STORE = "store"
    SOCIAL = "social"
    WHATSAPP = "whatsapp"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class LifecycleStage(StrEnum):
    """Where a contact stands with us, in the order a relationship usually moves."""

    SUBSCRIBER = "subscriber"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    REPEAT_CUSTOMER = "repeat customer"
    CHURNED = "churned"


class LeadSource(StrEnum):
    """Where a lead came from (stored values never change once released)."""

    WEBSITE = "website"
    REFERRAL = "referral"
    SOCIAL = "social"  # social media
    EVENT = "event"
    COLD_CALL = "cold call"
    MARKETPLACE = "marketplace"
    PARTNER = "partner"
    EMAIL_MARKETING = "email marketing"
    LANDING_PAGE = "landing page"
    CONTENT = "content"
    NETWORKING = "networking"
    PROMOTION = "promotion"
    WHATSAPP = "whatsapp"
    WALK_IN = "walk-in"
    WEB_FORM = "web form"  # the public lead form


class LeadStage(StrEnum):
    """Funnel stages in order; `probability` is the default weight of the forecast."""

    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"

    @property
    def probability(self) -> float:
        return _STAGE_PROBABILITY[self]

    @property
    def is_open(self) -> bool:
        return self not in (LeadStage.WON, LeadStage.LOST)


_STAGE_PROBABILITY = {
    LeadStage.NEW: 0.05,
    LeadStage.CONTACTED: 0.15,
    LeadStage.QUALIFIED: 0.35,
    LeadStage.PROPOSAL: 0.6,
    LeadStage.NEGOTIATION: 0.8,
    LeadStage.WON: 1.0,
    LeadStage.LOST: 0.0,
}


class AssignmentRule(StrEnum):
    """How a new lead without an owner gets one (sales settings)."""

    NONE = "none"
    ROUND_ROBIN = "round robin"
    BY_REGION = "by region"
    BY_SOURCE = "by source"


class SalesChannel(StrEnum):
    ONLINE = "online"
    STORE = "store"
    SALES_REP = "sales rep"
    MARKETPLACE = "marketplace"


class OrderStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class TicketCategory(StrEnum):
    BILLING = "billing"
    DELIVERY = "delivery"
    PRODUCT = "product"
    TECHNICAL = "technical"
    ACCOUNT = "account"
    OTHER = "other"


class Priority(StrEnum):
    """Ticket priorities, lowest first."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class TicketEventKind(StrEnum):
    COMMENT = "comment"  # an internal note, for staff only
    STATUS = "status"
    ASSIGNMENT = "assignment"
    PRIORITY = "priority"
    REPLY = "reply"  # an answer sent to the customer (the first one is the first response)
    RATING = "rating"  # the customer's satisfaction rating (CSAT), with their comment
    CATEGORY = "category"
    MERGE = "merge"  # a duplicate merged into this ticket (from_value), or this one into another
    CUSTOMER = "customer"  # a message from the customer (their reply link), seen by them too


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    FINISHED = "finished"


class Language(StrEnum):
    ENGLISH = "en"
    BAHASA_INDONESIA = "id"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    MERGE = "merge"
    LOGIN = "login"
    LOGOUT = "logout"


class Entity(StrEnum):
    """What a permission, an audit entry or an error is about. The values are stored in the
    audit trail (`audit_entries.entity`), so a value never changes once released."""

    USER = "user"
    CUSTOMER = "customer"
    ACCOUNT = "account"
    INTERACTION = "interaction"
    TASK = "task"
    LEAD = "lead"
    TICKET = "ticket"
    ORDER = "order"
    SEGMENT = "segment"
    CAMPAIGN = "campaign"
    SETTING = "setting"
    AUDIT = "audit"
    IMPORT = "import"
    PRODUCT = "product"
    ARTICLE = "article"  # a knowledge-base article or a canned answer
    VIEW = "view"  # a saved view of the ticket queue (named filters), own or shared


class ArticleKind(StrEnum):
    CANNED = "canned"  # a ready answer an agent inserts into a reply
    ARTICLE = "article"  # a knowledge-base article; public ones make the FAQ
