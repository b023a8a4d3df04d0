"""ddsp.training.data (under construction)."""
