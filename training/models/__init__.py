"""DDSP models (under construction)."""
