"""ddsp.training.eval_util (under construction)."""
