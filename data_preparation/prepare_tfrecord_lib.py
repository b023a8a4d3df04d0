"""ddsp.training.data_preparation.prepare_tfrecord_lib (under construction)."""
