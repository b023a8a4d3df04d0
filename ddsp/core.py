"""ddsp.core (under construction)."""
