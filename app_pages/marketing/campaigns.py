"""Campaigns: plan one on a saved segment with its A/B or hold-out design and the sample it
needs, launch it, record sends, responses and conversions (form or CSV file), and read which
variant won and whether the difference is significant."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages.marketing import _campaign_edit
from app_pages.marketing._views import stored_as_of, table_with_download
from crm_core.kernel.errors import CRMError
from crm_core.kernel.permissions import Action, Actor, allowed
from crm_core.marketing import campaigns, segments
from crm_core.marketing.results import CampaignResults, campaign_results, results_mark
from crm_core.marketing.stats import Verdict, VerdictRule, sample_size_per_variant
from crm_core.models import utcnow
from crm_core.models.enums import CampaignStatus, Channel, Entity
from ui import charts, forms
from ui.auth import require_page
from ui.db import database_url, read_scope
from ui.format import compact_money, date_box_format, long_date, money, number, percent
from ui.i18n import N_, say, t, tn
from ui.labels import formatter, option
from ui.plain import plain

PLAN_FORM, LAUNCH_FORM, OUTCOME_FORM = "campaign-plan", "campaign-launch", "campaign-outcomes"
FINISH_FORM = "campaign-finish"
VERDICTS = {
    Verdict.ROLL_OUT: N_("Roll out"),
    Verdict.KEEP_TESTING: N_("Keep testing"),
    Verdict.STOP: N_("Stop"),
}
RULES = {
    VerdictRule.WINNER: N_(
        "{winner} converts significantly better than {baseline} (p below {alpha:.1%}): "
        "roll {winner} out to the whole segment."
    ),
    VerdictRule.LOSER: N_(
        "Every variant converts significantly worse than {baseline} (p below {alpha:.1%}): "
        "{baseline} does best; stop them."
    ),
    VerdictRule.NO_DIFFERENCE: N_(
        "The planned sample is reached and no difference is significant (p not below "
        "{alpha:.1%}): any uplift is smaller than the test was built to find; stop and try "
        "something bolder."
    ),
    VerdictRule.TOO_EARLY: N_(
        "No significant difference yet and the planned sample is not reached: keep testing."
    ),
    VerdictRule.NO_DATA: N_(
        "Nothing recorded yet: keep testing. Record the sends, responses and conversions."
    ),
}


def render() -> None:
    actor = require_page("campaigns")
    st.title(t("Campaigns"))
    with read_scope() as session:
        listed = campaigns.list_campaigns(session, actor)
    forms.feedback(PLAN_FORM)
    if allowed(actor, Entity.CAMPAIGN, Action.CREATE):
        _plan(actor)
    if listed.empty:
        st.info(t("No campaigns yet: plan one on a saved segment."))
        return
    _list(listed)
    names = dict(zip(listed["id"], listed["name"], strict=True))
    chosen = int(st.selectbox(t("Campaign"), list(names), format_func=names.__getitem__,
                              key="campaigns_chosen"))  # fmt: skip
    row = {str(k): v for k, v in listed.set_index("id").loc[chosen].to_dict().items()}
    st.subheader(plain(row["name"]))
    st.caption(
        t("{channel} · segment {segment} · {start} to {end} · budget {budget}",
          channel=option(Channel, row["channel"]), segment=plain(row["segment"] or "–"),
          start=long_date(row["starts_on"]), end=long_date(row["ends_on"]),
          budget=money(row["budget"]))
    )  # fmt: skip
    if allowed(actor, Entity.CAMPAIGN, Action.UPDATE):
        _campaign_edit.edit(actor, chosen)
    if row["status"] == CampaignStatus.DRAFT:
        _launch(actor, chosen, int(row["version"]))
        return
    _outcomes(actor, chosen)
    _results(actor, chosen)
    if row["status"] == CampaignStatus.RUNNING and allowed(actor, Entity.CAMPAIGN, Action.UPDATE):
        forms.feedback(FINISH_FORM)
        if st.button(t("Finish campaign"), key="campaign_finish"):
            version = int(row["version"])
            forms.submit(FINISH_FORM, lambda s: campaigns.finish(s, actor, chosen, version),
                         t("Campaign finished."))  # fmt: skip
            st.rerun()


def _list(listed: pd.DataFrame) -> None:
    shown = listed.assign(
        channel=listed["channel"].map(formatter(Channel)),
        status=listed["status"].map(formatter(CampaignStatus)),
        starts_on=listed["starts_on"].map(long_date),
        budget=listed["budget"].map(compact_money),
        members=listed["members"].map(number),
    )
    st.dataframe(shown.drop(columns=["id", "version", "ends_on"]), hide_index=True,
                 width="stretch", column_config={
                     "name": t("Campaign"), "channel": t("Channel"), "status": t("Status"),
                     "segment": t("Segment"), "starts_on": t("Starts"), "budget": t("Budget"),
                     "members": t("Members"), "owner": t("Owner")}, placeholder="–")  # fmt: skip


def _plan(actor: Actor) -> None:
    with st.expander(t("Plan a campaign")):
        with read_scope() as session:
            saved = segments.list_segments(session, actor)
        if saved.empty:
            st.info(t("Save a segment first: a campaign is aimed at one."))
            return
        st.markdown(t("**Test design**"))
        left, right = st.columns(2)
        baseline = left.number_input(t("Expected conversion without the campaign (%)"),
                                     0.1, 90.0, 5.0, key="cp_baseline")  # fmt: skip
        uplift = right.number_input(t("Smallest uplift worth finding (%)"), 1.0, 500.0, 20.0,
                                    key="cp_uplift")  # fmt: skip
        alpha = left.selectbox(t("Significance level"), [0.05, 0.01, 0.10], key="cp_alpha",
                               format_func=lambda a: percent(a))  # fmt: skip
        power = right.selectbox(t("Power"), [0.8, 0.9], key="cp_power",
                                format_func=lambda p: percent(p))  # fmt: skip
        try:
            needed = sample_size_per_variant(baseline / 100, uplift / 100, alpha, power)
        except ValueError:
            st.warning(t("That uplift would take conversion to 100 % or more: choose less."))
            return
        st.info(
            t(
                "To find a rise from {base:.1%} to {target:.1%} with {power:.0%} power at "
                "{alpha:.0%} significance, each variant needs {n:n} members.",
                base=baseline / 100, target=baseline / 100 * (1 + uplift / 100), power=power,
                alpha=alpha, n=needed,
            )
        )  # fmt: skip
        segment_names = dict(zip(saved["id"], saved["name"], strict=True))
        designs = {"ab": t("A/B: variants against each other"),
                   "holdout": t("Treatment against a hold-out control")}  # fmt: skip
        box = forms.fresh("cp")  # empty again after a campaign is planned
        with st.form(f"{box}_form"):
            name = st.text_input(t("Name"), key=f"{box}_name")
            forms.field_error(PLAN_FORM, "name")
            segment_id = st.selectbox(
                t("Segment"),
                list(segment_names),
                format_func=segment_names.__getitem__,
                key=f"{box}_segment",
            )
            channel = st.selectbox(t("Channel"), list(Channel), format_func=formatter(Channel),
                                   key=f"{box}_channel")  # fmt: skip
            design = st.radio(t("Design"), list(designs), format_func=designs.__getitem__,
                              key=f"{box}_design")  # fmt: skip
            variants = st.text_input(t("Variants, separated by commas"), "A, B",
                                     key=f"{box}_variants")  # fmt: skip
            forms.field_error(PLAN_FORM, "variants")
            today = utcnow().date()
            start = st.date_input(
                t("Starts on"), today, key=f"{box}_start", format=date_box_format()
            )
            end = st.date_input(
                t("Ends on"), today + timedelta(days=14), key=f"{box}_end", format=date_box_format()
            )
            budget = st.number_input(t("Budget"), 0.0, 1e12, 0.0, step=100_000.0,
                                     key=f"{box}_budget")  # fmt: skip
            forms.field_error(PLAN_FORM, "budget")
            days = st.number_input(t("Orders count as the campaign's up to this many days "
                                     "after it ends"), 0, 365, 14, key=f"{box}_days")  # fmt: skip
            seed = st.number_input(t("Random seed (the same seed deals members the same way)"),
                                   0, 2**31 - 1, 2026, key=f"{box}_seed")  # fmt: skip
            pressed = st.form_submit_button(t("Plan campaign"), type="primary")
        if pressed:
            data = {"name": name, "segment_id": segment_id, "channel": channel,
                    "design": design, "variants": variants, "starts_on": start, "ends_on": end,
                    "budget": str(round(budget, 2)), "baseline_rate": baseline / 100,
                    "min_uplift": uplift / 100, "alpha": alpha, "power": power,
                    "attribution_days": days, "seed": seed}  # fmt: skip
            if forms.submit(PLAN_FORM, lambda s: campaigns.plan_campaign(s, actor, data),
                            t("Campaign planned.")):  # fmt: skip
                forms.renew("cp")
            st.rerun()


def _launch(actor: Actor, campaign_id: int, version: int) -> None:
    as_of = stored_as_of()
    with read_scope() as session:
        ids, left_out = campaigns.audience(session, actor, campaign_id, None, as_of)
        variants, planned = campaigns.launch_plan(session, actor, campaign_id)
    st.info(
        t(
            "Draft. Launching enrols {n:n} members of the segment who may be contacted on "
            "this channel ({out:n} left out: no consent or no address), dealt at random into "
            "{variants}.",
            n=len(ids), out=left_out, variants=plain(", ".join(variants)),
        )
    )  # fmt: skip
    per_variant = len(ids) // max(len(variants), 1)
    if per_variant < planned:
        st.warning(
            t(
                "About {n:n} members per variant, fewer than the {planned:n} the test needs: "
                "a real difference may not show as significant.",
                n=per_variant,
                planned=planned,
            )
        )
    forms.feedback(LAUNCH_FORM)
    if allowed(actor, Entity.CAMPAIGN, Action.UPDATE) and st.button(
        t("Launch campaign"), type="primary", key="campaign_launch", disabled=not ids
    ):
        forms.submit(LAUNCH_FORM, lambda s: campaigns.launch(s, actor, campaign_id, version, ids),
                     tn("{n:n} member enrolled.", "{n:n} members enrolled.", len(ids)))  # fmt: skip
        st.rerun()


def _outcomes(actor: Actor, campaign_id: int) -> None:
    if not allowed(actor, Entity.CAMPAIGN, Action.UPDATE):
        return
    forms.feedback(OUTCOME_FORM)
    with st.expander(t("Record sends, responses and conversions")):
        st.caption(
            t(
                "A file with a customer_id or email column and any of sent_at, responded_at, "
                "converted_at (date and time, UTC). A response counts as a send, a conversion "
                "as both; a step already recorded keeps its first time."
            )
        )
        upload = st.file_uploader(t("Outcomes file (CSV)"), type=["csv", "txt"],
                                  key="campaign_outcomes_file")  # fmt: skip
        if upload is not None and st.button(t("Import outcomes"), key="campaign_import"):
            try:
                rows = campaigns.outcomes_from_csv(upload.getvalue())
            except CRMError as exc:
                st.error(say(exc.message))
                return
            _record(actor, campaign_id, rows)
        with st.form("campaign_outcome_form"):
            who = st.text_input(t("Customer id or email"), key="co_who")
            step = st.selectbox(t("What happened"), ["sent_at", "responded_at", "converted_at"],
                                format_func=lambda s: t(_STEPS[s]), key="co_step")  # fmt: skip
            day = st.date_input(t("Date"), utcnow().date(), key="co_day", format=date_box_format())
            pressed = st.form_submit_button(t("Record"))
        if pressed:
            key = "customer_id" if who.strip().isdigit() else "email"
            # Today: now (a time still ahead would not count yet); an earlier day: its noon.
            now = utcnow()
            moment = now if day >= now.date() else datetime.combine(day, time(12))
            _record(actor, campaign_id, [{key: who.strip(), step: moment}])


_STEPS = {"sent_at": N_("Sent"), "responded_at": N_("Responded"), "converted_at": N_("Converted")}


def _record(actor: Actor, campaign_id: int, rows: list[dict[str, Any]]) -> None:
    forms.submit(OUTCOME_FORM, lambda s: campaigns.record_outcomes(s, actor, campaign_id, rows),
                 tn("{n:n} row recorded.", "{n:n} rows recorded.", len(rows)))  # fmt: skip
    st.rerun()


# Kept per reader, campaign, minute (outcomes count up to now) and the results' mark: a rerun
# (a variant's row ticked, a form opened) read the members, outcomes and revenue every time.
@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _kept_results(
    url: str, actor: Actor, campaign_id: int, minute: datetime, mark: tuple[Any, ...]
) -> CampaignResults:
    with read_scope() as session:
        return campaign_results(session, actor, campaign_id, minute)


def _results(actor: Actor, campaign_id: int) -> None:
    with read_scope() as session:
        mark = results_mark(session, campaign_id)
    minute = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)
    results = _kept_results(database_url()[0], actor, campaign_id, minute, mark)
    st.subheader(t("Results"))
    st.caption(
        t(
            "Rates count every member of a variant (hold-out members too, though nothing was "
            "sent to them), with 95 % Wilson intervals. Uplift and the two-proportion test "
            "compare conversions with {baseline}. Revenue: members' completed orders less "
            "discounts from the first day to the attribution window after the last.",
            baseline=plain(results.baseline),
        )
    )  # fmt: skip
    _verdict(results)
    _figures(results)
    table = results.table
    shown = pd.DataFrame({
        "variant": table["variant"], "members": table["members"].map(number),
        "observed": table["observed"].map(number),
        "sent": table["sent"].map(number), "responded": table["responded"].map(number),
        "converted": table["converted"].map(number),
        "response": [_rate(r, lo, hi) for r, lo, hi in zip(
            table["response_rate"], table["response_low"], table["response_high"], strict=True)],
        "conversion": [_rate(r, lo, hi) for r, lo, hi in zip(
            table["conversion_rate"], table["conversion_low"], table["conversion_high"],
            strict=True)],
        "uplift": table["uplift"].map(lambda u: "–" if pd.isna(u) else percent(u, 1)),
        "p_value": table["p_value"].map(lambda p: "–" if pd.isna(p) else number(p, 4)),
        "revenue_per_member": table["revenue_per_member"].map(money),
    })  # fmt: skip
    labels = {"variant": t("Variant"), "members": t("Members"),
              "observed": t("With a recorded outcome"), "sent": t("Sent"),
              "responded": t("Responded"), "converted": t("Converted"),
              "response": t("Response rate (95 % interval)"),
              "conversion": t("Conversion rate (95 % interval)"), "uplift": t("Uplift"),
              "p_value": t("p-value"), "revenue_per_member": t("Revenue per member")}  # fmt: skip
    table_with_download(shown, table, labels, f"campaign-{campaign_id}-results",
                        "campaign_results_csv")  # fmt: skip


def _rate(rate: float | None, low: float | None, high: float | None) -> str:
    if rate is None or pd.isna(rate):
        return "–"
    return f"{percent(rate, 1)} ({percent(low, 1)}–{percent(high, 1)})"


def _verdict(results: CampaignResults) -> None:
    decision = results.decision
    winner = plain(decision.winner or "")
    said = t(VERDICTS[decision.verdict])
    if decision.rule is VerdictRule.WINNER:
        said = t("Roll out {winner}", winner=winner)
    why = t(RULES[decision.rule], baseline=plain(results.baseline), alpha=decision.alpha,
            winner=winner)  # fmt: skip
    counted = t(
        "Members count towards the planned sample once a send, response or conversion of "
        "theirs is recorded; hold-out members once any outcome of the campaign is recorded."
    )
    box = {Verdict.ROLL_OUT: st.success, Verdict.KEEP_TESTING: st.info, Verdict.STOP: st.error}
    box[decision.verdict](
        t("**Verdict: {verdict}.** {why} {counted}", verdict=said, why=why, counted=counted)
    )
    if decision.early:
        smallest = int(results.table["observed"].min()) if not results.table.empty else 0
        st.warning(
            t(
                "Read early: the smallest variant has {n:n} members with a recorded outcome "
                "of the {planned:n} planned. Results read before the planned sample change "
                "more than they seem.",
                n=smallest,
                planned=results.planned_per_variant,
            )
        )


def _figures(results: CampaignResults) -> None:
    first, second, third, fourth = st.columns(4)
    first.metric(t("Revenue"), compact_money(results.revenue))
    second.metric(t("Budget"), compact_money(results.budget))
    third.metric(t("ROI"), "–" if results.roi is None else percent(results.roi))
    incremental = results.incremental_roi
    fourth.metric(t("Incremental ROI"), "–" if incremental is None else percent(incremental))
    st.caption(
        t(
            "ROI: (revenue − budget) / budget. Incremental ROI counts only revenue above what "
            "the members would have bought at {baseline}'s revenue per member.",
            baseline=plain(results.baseline),
        )
    )
    table = results.table.dropna(subset=["conversion_rate"])
    if table.empty:
        return
    figure = go.Figure(go.Bar(
        x=table["variant"], y=table["conversion_rate"],
        error_y={"type": "data", "symmetric": False,
                 "array": table["conversion_high"] - table["conversion_rate"],
                 "arrayminus": table["conversion_rate"] - table["conversion_low"]},
    ))  # fmt: skip
    figure.update_layout(yaxis_tickformat=".1%", yaxis_title=t("Conversion rate"), height=300)
    charts.show(figure)
