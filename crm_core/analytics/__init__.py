"""Pure analytics over pandas DataFrames: profitability, value tiers, RFM, CLV, churn, offers."""
