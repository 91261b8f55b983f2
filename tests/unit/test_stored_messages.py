"""A message is stored as compact JSON (a routing reason, an import report, a value reason)
and read back by the page in the reader's language: a vocabulary value among its parameters
must come back as the label it was, not as the bare English key."""

from __future__ import annotations

from crm_core.kernel.messages import Message, from_json, render, to_json
from crm_core.models.enums import LeadStage, TicketCategory


def test_a_vocabulary_value_in_a_stored_message_reads_translated() -> None:
    stored = to_json(Message("routing.skill", {"category": TicketCategory.DELIVERY}))
    assert render(from_json(stored), "id") == "menguasai Pengiriman"
    assert render(from_json(stored), "en") == "knows delivery"
    nested = Message("lead.stage_not_in_pipeline", {"stage": LeadStage.PROPOSAL})
    assert render(from_json(to_json(nested)), "id") == render(nested, "id")


def test_a_plain_value_in_a_stored_message_stays_as_it_was() -> None:
    stored = to_json(Message("import.no_user", {"who": "rina"}))
    assert from_json(stored) == Message("import.no_user", {"who": "rina"})
