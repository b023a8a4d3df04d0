"""ddsp.training.encoders (under construction)."""
