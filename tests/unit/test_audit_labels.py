"""The audit log says which field changed in the reader's language: every field an audited
write can name has a label in both catalogues, and old and new values are said as values."""

from __future__ import annotations

from dataclasses import fields

from crm_core.kernel.audit import describe_changes
from crm_core.kernel.messages import render, translations
from crm_core.kernel.settings import TEAM_KEY, VALUE_KEY, TeamSettings, ValueSettings
from crm_core.models.base import model_of
from crm_core.models.enums import Entity, Priority
from crm_core.sales.settings import SALES_KEY, SalesSettings

# Keys of audited events that are no column: an import's counts, a revert, a note or reply,
# the rows a merge moved, a campaign's recorded steps.
EVENT_KEYS = {
    "rows", "create", "update", "bad", "skipped", "reply", "note", "merged_customer",
    "merged_ticket", "sent", "responded", "converted", "moved_orders", "moved_interactions",
    "moved_tasks", "moved_tickets", "moved_leads", "moved_converted_leads",
    "moved_campaign_memberships", "dropped_campaign_memberships",
}  # fmt: skip


SETTINGS = ((TEAM_KEY, TeamSettings), (VALUE_KEY, ValueSettings), (SALES_KEY, SalesSettings))


def audited_fields() -> set[str]:
    columns = {
        column.name
        for entity in Entity
        if (model := model_of(entity)) is not None
        for column in model.__table__.columns
    }
    settings = {
        f"{key}.{f.name}"
        for key, kind in (
            (TEAM_KEY, TeamSettings),
            (VALUE_KEY, ValueSettings),
            (SALES_KEY, SalesSettings),
        )
        for f in fields(kind)
    }
    return columns | settings | EVENT_KEYS | {p.value for p in Priority}  # the SLA's targets


def test_every_field_an_audited_write_can_name_has_a_label_in_both_languages() -> None:
    for language in ("en", "id"):
        catalogue = translations(language)
        unlabelled = sorted(
            name
            for name in audited_fields()
            if catalogue.gettext(f"field.{name}") == f"field.{name}"
        )
        assert unlabelled == [], language


def test_old_and_new_values_are_said_as_values_in_the_reader_s_language() -> None:
    changes = {
        "phone": {"old": "+6281234567890", "new": "+6281399990000"},
        "lifecycle_stage": {"old": "lead", "new": "repeat customer"},
        "consent_email": {"old": False, "new": True},
        "tags": {"old": [], "new": ["vip", "jakarta"]},
        "deleted_at": {"old": None, "new": "2026-02-01T03:30:00"},
    }
    cell = describe_changes(Entity.CUSTOMER, changes)
    assert render(cell) == (
        "Phone: +6281234567890 → +6281399990000; Lifecycle stage: lead → repeat customer; "
        "Consent to email: no → yes; Tags: – → vip, jakarta; Deleted: – → 1 Feb 2026 03:30"
    )
    said = render(cell, "id")
    assert said.startswith(
        "Telepon: +6281234567890 → +6281399990000; Tahap pelanggan: lead → Pelanggan tetap; "
    )
    assert (
        "tidak → ya" in said and "1 Feb 2026 03.30" in said
    )  # a stored UTC time, read here in UTC


def test_whoever_reads_a_record_but_not_the_log_reads_only_the_field_names() -> None:
    cell = describe_changes(Entity.CUSTOMER, {"phone": {"old": "1", "new": "2"}, "city": {}}, False)
    assert (render(cell), render(cell, "id")) == ("Phone, City", "Telepon, Kota")
