"""ddsp.processors (under construction)."""
