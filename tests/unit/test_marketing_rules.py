"""Segment rules are checked before they reach SQL: known attributes, operators that fit them,
values of the right kind; each problem said in words."""

from __future__ import annotations

import pytest

from crm_core.kernel.errors import ValidationError
from crm_core.kernel.messages import render
from crm_core.marketing.rules import checked_rule, fields_used, parse_rule


def one(condition: dict[str, object]) -> dict[str, object]:
    return {"groups": [{"conditions": [condition]}]}


def problem(condition: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as bad:
        checked_rule(one(condition))
    return " ".join(render(m) for m in bad.value.field_errors.values())


def test_each_kind_of_mistake_is_named() -> None:
    assert "is not an attribute" in problem({"field": "shoe size", "op": "in", "value": ["x"]})
    assert "Region cannot be compared" in problem({"field": "region", "op": "at least",
                                                   "value": 3})  # fmt: skip
    assert "Churn risk (%) needs a number" in problem({"field": "churn_risk", "op": "at least",
                                                        "value": "high"})  # fmt: skip
    assert "needs at least one value" in problem({"field": "city", "op": "in", "value": []})
    assert "not one of its choices" in problem({"field": "value_tier", "op": "in",
                                                "value": ["Gold"]})  # fmt: skip


def test_values_are_tidied_and_operators_without_values_drop_them() -> None:
    rule = checked_rule({
        "match": "any",
        "groups": [{"match": "all", "conditions": [
            {"field": "city", "op": "in", "value": [" Bandung ", ""]},
            {"field": "orders", "op": "at least", "value": "3"},
            {"field": "consent_email", "op": "yes", "value": ["ignored"]},
        ]}],
    })  # fmt: skip
    city, orders, consent = rule.groups[0].conditions
    assert (city.value, orders.value, consent.value) == (["Bandung"], 3.0, None)
    assert fields_used(rule) == {"city", "orders", "consent_email"}
    assert rule.match == "any"


def test_a_rule_needs_a_condition() -> None:
    with pytest.raises(ValidationError):
        checked_rule({"groups": []})
    with pytest.raises(ValidationError):
        checked_rule({"groups": [{"conditions": []}]})


def test_a_saved_rule_reads_back_the_same() -> None:
    rule = checked_rule(one({"field": "tags", "op": "has any of", "value": "vip"}))
    assert parse_rule(rule.model_dump(mode="json")) == rule
