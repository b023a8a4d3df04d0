"""Differentiable Digital Signal Processing (DDSP).

A reimplementation of Magenta's DDSP with the original's module layout,
names, gin registrations and checkpoint format, running on current
TensorFlow with the Keras 2 API (``tf_keras``).

``import ddsp`` loads only the core DSP modules; ``import ddsp.training``
loads models, trainers and data pipelines.
"""
import os as _os

# The original runs on Keras 2. Make `tf.keras` resolve to tf_keras for any
# user code that imports tensorflow after ddsp (our own modules always use
# `tf_keras` explicitly, so this only helps mixed user code).
_os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')

# pylint: disable=g-import-not-at-top,wrong-import-position
from ddsp import core
from ddsp import dags
from ddsp import effects
from ddsp import keras_compat
from ddsp import losses
from ddsp import processors
from ddsp import spectral_ops
from ddsp import synths
from ddsp.version import __version__

keras_compat.note_keras_flavour()
