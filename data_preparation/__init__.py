"""Data preparation: audio files -> TFRecords of audio, f0 and loudness."""

from ddsp.training.data_preparation import prepare_tfrecord_lib
