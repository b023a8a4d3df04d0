"""ddsp.training.decoders (under construction)."""
