"""ddsp.spectral_ops (under construction)."""
