"""ddsp.training.trainers (under construction)."""
