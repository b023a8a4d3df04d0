"""ddsp.training.inference (under construction)."""
