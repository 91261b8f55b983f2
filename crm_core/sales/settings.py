"""Sales settings: the pipelines (each its ordered stages, win probabilities and usual days),
the managed list of lost reasons, the assignment rule for new leads and the web form's fields;
one JSON settings row, saved by a manager through the write path (locked on version, audited).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.kernel import writepath
from crm_core.kernel.errors import ConflictError, ValidationError
from crm_core.kernel.inputs import _Input, validate
from crm_core.kernel.lookups import is_active_user
from crm_core.kernel.messages import N_, Message, msg
from crm_core.kernel.permissions import Actor, Capability, require_capability
from crm_core.models import Lead, Setting, User
from crm_core.models.enums import AssignmentRule, Entity, LeadSource, LeadStage

SALES_KEY = "sales"
OPEN_STAGES = [s for s in LeadStage if s.is_open]
CUSTOM = "custom-"  # a pipeline's own stage: "custom-<n>", its name typed by a manager
BUILT_IN = {s.value for s in LeadStage}
FUNNEL_END = LeadStage.WON
DEFAULT_PIPELINE = "new business"
# Default names and reasons in English: pages show them translated (listed for Babel here).
DEFAULT_NAMES = {DEFAULT_PIPELINE: N_("New business"), "repeat orders": N_("Repeat orders")}
DEFAULT_LOST_REASONS = [
    N_("price"),
    N_("chose competitor"),
    N_("no budget"),
    N_("no response"),
    N_("timing"),
]
USUAL_DAYS = {
    LeadStage.NEW: 7,
    LeadStage.CONTACTED: 14,
    LeadStage.QUALIFIED: 21,
    LeadStage.PROPOSAL: 21,
    LeadStage.NEGOTIATION: 30,
}
FORM_FIELDS = ("company", "email", "phone", "value", "region", "notes")  # besides the name


def _default_stages(stages: list[LeadStage]) -> list[dict[str, Any]]:
    return [
        {"stage": s.value, "probability": s.probability, "usual_days": USUAL_DAYS[s]}
        for s in stages
    ]


def _default_pipelines() -> list[dict[str, Any]]:
    repeat = [LeadStage.NEW, LeadStage.PROPOSAL, LeadStage.NEGOTIATION]
    return [
        {
            "key": DEFAULT_PIPELINE,
            "name": DEFAULT_NAMES[DEFAULT_PIPELINE],
            "stages": _default_stages(OPEN_STAGES),
        },
        {
            "key": "repeat orders",
            "name": DEFAULT_NAMES["repeat orders"],
            "stages": [
                {**s, "probability": p}
                for s, p in zip(_default_stages(repeat), (0.3, 0.7, 0.9), strict=True)
            ],
        },
    ]


@dataclass(frozen=True)
class SalesSettings:
    pipelines: list[dict[str, Any]] = field(default_factory=_default_pipelines)
    lost_reasons: list[str] = field(default_factory=lambda: list(DEFAULT_LOST_REASONS))
    assignment_rule: str = AssignmentRule.NONE.value
    assignment_pool: list[int] = field(default_factory=list)  # round robin over these users
    by_region: dict[str, int] = field(default_factory=dict)  # region -> user id
    by_source: dict[str, int] = field(default_factory=dict)  # source value -> user id
    form_fields: list[str] = field(default_factory=lambda: ["company", "email", "phone"])
    form_per_hour: int = 20  # web-form submissions accepted per hour from one sender

    def pipeline(self, key: str | None) -> dict[str, Any]:
        found = [p for p in self.pipelines if p["key"] == (key or DEFAULT_PIPELINE)]
        return found[0] if found else self.pipelines[0]

    def stages(self, key: str | None) -> list[str]:
        """The pipeline's funnel: its open stages in order, then Won."""
        return [s["stage"] for s in self.pipeline(key)["stages"]] + [FUNNEL_END.value]

    def next_stage(self, key: str | None, stage: str) -> str | None:
        """The funnel's stage after `stage` (Won after the last open one); None after Won or
        for a stage the pipeline does not have."""
        funnel = self.stages(key)
        if stage not in funnel or stage == funnel[-1]:
            return None
        return funnel[funnel.index(stage) + 1]

    def probabilities(self) -> dict[tuple[str, str], float]:
        return {
            (p["key"], s["stage"]): float(s["probability"])
            for p in self.pipelines
            for s in p["stages"]
        }

    def usual_days(self, key: str | None) -> dict[str, float]:
        return {s["stage"]: float(s["usual_days"]) for s in self.pipeline(key)["stages"]}

    def stage_names(self) -> dict[str, str]:
        """The custom stages' keys and the names managers gave them (every pipeline)."""
        return {
            s["stage"]: str(s["name"])
            for p in self.pipelines
            for s in p["stages"]
            if is_custom(s["stage"]) and s.get("name")
        }


def is_open(stage: str) -> bool:
    """Whether a lead in `stage` is still open (any stage but won and lost)."""
    return stage not in (LeadStage.WON, LeadStage.LOST)


def is_custom(stage: str) -> bool:
    return stage.startswith(CUSTOM)


def stage_param(stage: str | None) -> LeadStage | str | None:
    """A stage for a message's parameter: a built-in one as the vocabulary value (rendered
    translated), a custom one as its key."""
    return LeadStage(stage) if stage in BUILT_IN else stage


def sales_settings(session: Session) -> SalesSettings:
    stored = session.scalar(select(Setting.value).where(Setting.key == SALES_KEY)) or {}
    known = set(SalesSettings.__dataclass_fields__)
    return SalesSettings(**{k: v for k, v in stored.items() if k in known})


@dataclass(frozen=True)
class SavedSales:
    settings: SalesSettings
    version: int  # 0: never saved, the defaults
    changed_at: datetime | None = None
    changed_by: str | None = None


def read_sales_settings(session: Session) -> SavedSales:
    """The settings with the version a form saves against (any signed-in user may read)."""
    row = session.execute(
        select(Setting.version, Setting.updated_at, User.name)
        .outerjoin(User, User.id == Setting.updated_by_id)
        .where(Setting.key == SALES_KEY)
    ).one_or_none()
    settings = sales_settings(session)
    if row is None:
        return SavedSales(settings, 0)
    return SavedSales(settings, row.version, row.updated_at, row.name)


class StageIn(_Input):
    """A stage of a pipeline: a built-in open stage, a custom one already named ("custom-3")
    or a new one ("" with its name); listed in the pipeline's order."""

    stage: str | None = Field(default=None, max_length=24)  # None: a new stage
    name: str | None = Field(default=None, max_length=40)
    probability: float = Field(ge=0, le=1)
    usual_days: int = Field(ge=1, le=365)

    @field_validator("stage")
    @classmethod
    def _open(cls, value: str | None) -> str:
        value = (value or "").strip()
        if value in BUILT_IN and not is_open(value):
            raise ValueError(msg("lead.stage_not_open"))
        if value and value not in BUILT_IN and not (is_custom(value) and value[7:].isdigit()):
            raise ValueError(msg("lead.stage_unknown", stage=value))
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


class PipelineIn(_Input):
    key: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=80)
    stages: list[StageIn] = Field(min_length=1)


class SalesSettingsIn(_Input):
    pipelines: list[PipelineIn] = Field(min_length=1)
    lost_reasons: list[str] = Field(min_length=1)
    assignment_rule: AssignmentRule
    assignment_pool: list[int]
    by_region: dict[str, int]
    by_source: dict[LeadSource, int]
    form_fields: list[str]
    form_per_hour: int = Field(ge=1, le=10_000)


def update_sales_settings(
    session: Session, actor: Actor, expected_version: int, data: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Save the sales settings over what is stored (fields left out keep their value)."""
    current = asdict(sales_settings(session))
    merged = {**current, **data}
    held = validate(SalesSettingsIn, merged)
    errors = _errors(session, held)
    if errors:
        raise ValidationError(errors)
    require_capability(actor, Capability.MANAGE_SALES)
    new = held.model_dump(mode="json")
    new["lost_reasons"] = [r.strip() for r in held.lost_reasons if r.strip()]
    new["by_source"] = {str(k): v for k, v in new["by_source"].items()}
    new["pipelines"] = _keyed(current["pipelines"], new["pipelines"])
    changes = {
        f"{SALES_KEY}.{f}": (current.get(f), v) for f, v in new.items() if current.get(f) != v
    }
    _refresh_reordered(session, current["pipelines"], new["pipelines"])
    row = session.get(Setting, SALES_KEY, populate_existing=True)
    entity = Entity.SETTING
    if row is None:
        if expected_version != 0:
            raise ConflictError(entity, None, None)
        if not changes:
            return {}
        try:
            writepath.insert(
                session, actor, entity, Setting(key=SALES_KEY), {"value": new}, audited=changes
            )
        except IntegrityError:
            raise writepath.reread_conflict(session, entity, Setting, (SALES_KEY,)) from None
        return changes
    if not changes:
        return writepath.update(session, actor, entity, row, expected_version, {})
    return writepath.update(
        session,
        actor,
        entity,
        row,
        expected_version,
        {"value": {**row.value, **new}},
        audited=changes,
    )


def _keyed(before: list[dict[str, Any]], pipelines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pipelines with a key for each new stage (the next free "custom-<n>") and names kept
    only on custom stages (built-in ones are named by the translation)."""
    used = [
        int(s["stage"][len(CUSTOM) :])
        for p in [*before, *pipelines]
        for s in p["stages"]
        if is_custom(s["stage"])
    ]
    following = max(used, default=0) + 1
    for pipeline in pipelines:
        for stage in pipeline["stages"]:
            if not stage["stage"]:
                stage["stage"] = f"{CUSTOM}{following}"
                following += 1
            if not is_custom(stage["stage"]):
                stage.pop("name", None)
    return pipelines


def _refresh_reordered(
    session: Session, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> None:
    """Rebuild the funnel's read model of each pipeline whose stage order changed (the
    furthest stage a lead reached depends on it), in the same transaction."""
    from crm_core.sales import facts  # facts reads these settings: imported when needed

    old = {p["key"]: [s["stage"] for s in p["stages"]] for p in before}
    settings = SalesSettings(**{**asdict(sales_settings(session)), "pipelines": after})
    for pipeline in after:
        if old.get(pipeline["key"]) != [s["stage"] for s in pipeline["stages"]]:
            facts.refresh_pipeline(session, pipeline["key"], settings)


def _errors(session: Session, held: SalesSettingsIn) -> dict[str, Message]:
    errors: dict[str, Message] = {}
    keys = [p.key for p in held.pipelines]
    if len(set(keys)) != len(keys):
        errors["pipelines"] = msg("lead.pipeline_twice")
    stored = sales_settings(session)
    for pipeline in held.pipelines:
        stages = [s.stage for s in pipeline.stages if s.stage]
        names = [s.name.casefold() for s in pipeline.stages if s.name and s.stage not in BUILT_IN]
        if len(set(stages)) != len(stages) or len(set(names)) != len(names):
            errors["pipelines"] = msg("lead.stage_twice", pipeline=pipeline.name)
        if any(not s.name for s in pipeline.stages if s.stage not in BUILT_IN):
            errors["pipelines"] = msg("lead.stage_needs_name", pipeline=pipeline.name)
        kept = set(stages)
        known = pipeline.key in {p["key"] for p in stored.pipelines}
        dropped = [s for s in stored.stages(pipeline.key)[:-1] if known and s not in kept]
        if dropped and _open_in(session, pipeline.key, dropped):
            errors["pipelines"] = msg("lead.stage_has_leads", pipeline=pipeline.name)
    if not [r for r in held.lost_reasons if r.strip()]:
        errors["lost_reasons"] = msg("validation.required")
    users = {*held.assignment_pool, *held.by_region.values(), *held.by_source.values()}
    if any(not is_active_user(session, u) for u in users):
        errors["assignment_pool"] = msg("validation.active_user")
    if held.assignment_rule is AssignmentRule.ROUND_ROBIN and not held.assignment_pool:
        errors["assignment_pool"] = msg("lead.pool_empty")
    unknown = set(held.form_fields) - set(FORM_FIELDS)
    if unknown:
        errors["form_fields"] = msg("validation.one_of", choices=", ".join(FORM_FIELDS))
    return errors


def _open_in(session: Session, pipeline: str, stages: list[str]) -> bool:
    """Whether an open lead of the pipeline is in one of these stages."""
    stmt = select(Lead.id).where(
        Lead.pipeline == pipeline, Lead.stage.in_(stages), Lead.deleted_at.is_(None)
    )
    return session.scalar(stmt.limit(1)) is not None
