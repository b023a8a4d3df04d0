"""ddsp.training.postprocessing (under construction)."""
