"""ddsp.training.cloud (under construction)."""
