"""ddsp.losses (under construction)."""
