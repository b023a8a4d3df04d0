"""ddsp.training.preprocessing (under construction)."""
