"""A lead's "Move to stage" offers the stage after its own first, in its own pipeline."""

from __future__ import annotations

from crm_core.sales.settings import SalesSettings


def test_the_next_stage_follows_the_pipeline_s_own_order_and_ends_at_won() -> None:
    settings = SalesSettings()
    assert settings.next_stage(None, "new") == "contacted"
    assert settings.next_stage("new business", "contacted") == "qualified"
    assert settings.next_stage("new business", "negotiation") == "won"
    # The repeat-orders pipeline skips contacted and qualified.
    assert settings.next_stage("repeat orders", "new") == "proposal"
    assert settings.next_stage("repeat orders", "won") is None
    assert settings.next_stage("repeat orders", "contacted") is None  # not one of its stages
