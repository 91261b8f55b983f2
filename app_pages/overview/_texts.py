"""The dashboard's figure names and their one-line definitions."""

from __future__ import annotations

from crm_core.kernel.messages import N_
from crm_core.overview.dashboard import Code

TITLES = {
    Code.REVENUE: N_("Revenue"),
    Code.GROSS_MARGIN: N_("Gross margin"),
    Code.NEW_CUSTOMERS: N_("New customers"),
    Code.ACTIVE_CUSTOMERS: N_("Active customers"),
    Code.CHURNED_CUSTOMERS: N_("Churned customers"),
    Code.CHURN_RATE: N_("Churn rate"),
    Code.LEAD_CONVERSION: N_("Lead conversion"),
    Code.PIPELINE_VALUE: N_("Pipeline value"),
    Code.OPEN_TICKETS: N_("Open tickets"),
    Code.SLA_ATTAINMENT: N_("SLA attainment"),
    Code.CSAT: N_("CSAT"),
}
DEFINITIONS = {
    Code.REVENUE: N_("Completed orders placed in the period, after discounts."),
    Code.GROSS_MARGIN: N_("Revenue of the period less the cost of the goods sold."),
    Code.NEW_CUSTOMERS: N_("Customers created in the period."),
    Code.ACTIVE_CUSTOMERS: N_("Customers with at least one completed order in the period."),
    Code.CHURNED_CUSTOMERS: N_(
        "Customers whose silence since their last order reached the churn window (90 days "
        "by default) during the period, without buying again."
    ),
    Code.CHURN_RATE: N_(
        "Churned customers of the period, of the customers active when it began (an order "
        "in the churn window before it)."
    ),
    Code.LEAD_CONVERSION: N_("Of the leads closed in the period, the share won."),
    Code.PIPELINE_VALUE: N_("The value of the leads still open at the end of the period."),
    Code.OPEN_TICKETS: N_("Tickets not resolved at the end of the period."),
    Code.SLA_ATTAINMENT: N_(
        "Of the tickets created in the period whose targets are decided, the share that met "
        "both the first-response and the resolution target."
    ),
    Code.CSAT: N_("Average rating (1 to 5) of the tickets created in the period."),
}
