"""Training library for DDSP: data, models, trainers, evaluation."""

# pylint: disable=g-import-not-at-top
from ddsp.training import cloud
from ddsp.training import data
from ddsp.training import decoders
from ddsp.training import encoders
from ddsp.training import eval_util
from ddsp.training import evaluators
from ddsp.training import inference
from ddsp.training import metrics
from ddsp.training import models
from ddsp.training import nn
from ddsp.training import plotting
from ddsp.training import postprocessing
from ddsp.training import preprocessing
from ddsp.training import summaries
from ddsp.training import train_util
from ddsp.training import trainers
