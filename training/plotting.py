"""ddsp.training.plotting (under construction)."""
