"""ddsp.training.train_util (under construction)."""
