"""ddsp.dags (under construction)."""
