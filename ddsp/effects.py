"""ddsp.effects (under construction)."""
