"""ddsp.training.ddsp_run (under construction)."""
