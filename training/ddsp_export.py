"""ddsp.training.ddsp_export (under construction)."""
