"""ddsp.test_util (under construction)."""
