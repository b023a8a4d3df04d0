"""ddsp.synths (under construction)."""
