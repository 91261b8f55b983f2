"""SQLAlchemy 2.x typed entities of the CRM; import models from here."""

from crm_core.models.access import RememberedSignIn, SignInAttempt
from crm_core.models.activity import Interaction, Task
from crm_core.models.base import Base, table_of, utcnow
from crm_core.models.commerce import Order, OrderItem, Product
from crm_core.models.marketing import Campaign, CampaignMember, Segment
from crm_core.models.people import Account, Customer, User
from crm_core.models.sales import Lead, LeadClosedCount, LeadFacts, LeadStageChange, LeadStay
from crm_core.models.service import Article, Ticket, TicketEvent, TicketView
from crm_core.models.system import AuditEntry, ImportBatch, Setting
from crm_core.models.targets import Target
from crm_core.models.value import CustomerValue, StoredFigure, TierSnapshot, ValueRefresh

__all__ = [
    "Account",
    "Article",
    "AuditEntry",
    "Base",
    "Campaign",
    "CampaignMember",
    "Customer",
    "CustomerValue",
    "ImportBatch",
    "Interaction",
    "Lead",
    "LeadClosedCount",
    "LeadFacts",
    "LeadStageChange",
    "LeadStay",
    "Order",
    "OrderItem",
    "Product",
    "RememberedSignIn",
    "Segment",
    "Setting",
    "SignInAttempt",
    "StoredFigure",
    "Target",
    "Task",
    "Ticket",
    "TicketEvent",
    "TicketView",
    "TierSnapshot",
    "User",
    "ValueRefresh",
    "table_of",
    "utcnow",
]
