"""ddsp.training.metrics (under construction)."""
