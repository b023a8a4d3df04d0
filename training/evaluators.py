"""ddsp.training.evaluators (under construction)."""
