"""ddsp.training.summaries (under construction)."""
