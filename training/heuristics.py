"""ddsp.training.heuristics (under construction)."""
