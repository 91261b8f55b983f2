"""Sales: leads, pipelines, conversion funnels and forecasts."""
