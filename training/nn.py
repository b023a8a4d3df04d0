"""ddsp.training.nn (under construction)."""
