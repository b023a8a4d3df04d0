# Copyright 2026 The ddsp-modern Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Real-time-safe hand-off of samples and MIDI events between two threads.

One thread writes, one reads (single producer, single consumer). Both
sides copy into or out of arrays allocated once; positions are plain
integers that only their own side advances, so neither side ever waits for
the other (an int store is atomic in CPython). What the audio callback does
with a ring is a bounded number of numpy slice copies: no lock, no
allocation, no I/O.
"""

import numpy as np

# Samples faded in after an underrun (and out before one) to avoid clicks.
FADE_SAMPLES = 64


class SampleRing:
  """A bounded FIFO of float32 samples.

  Attributes:
    capacity: Samples it holds at most.
    underruns: Reads that found fewer samples than asked (the rest was
      silence).
    overruns: Writes that found less room than needed (the rest dropped).
  """

  def __init__(self, capacity: int):
    self.capacity = int(capacity)
    self._data = np.zeros([self.capacity], np.float32)
    self._written = 0  # Advanced by the writer only.
    self._read = 0  # Advanced by the reader only.
    self.underruns = 0
    self.overruns = 0
    self._fade = np.linspace(0.0, 1.0, FADE_SAMPLES, endpoint=False,
                             dtype=np.float32)
    self._faded_out = True  # The next samples read start a fade-in.

  def available(self) -> int:
    """Samples written and not read yet."""
    return self._written - self._read

  def write(self, samples: np.ndarray) -> int:
    """Appends as many samples as fit; returns how many."""
    n = min(samples.size, self.capacity - self.available())
    if n < samples.size:
      self.overruns += 1
    start = self._written % self.capacity
    first = min(n, self.capacity - start)
    self._data[start:start + first] = samples[:first]
    self._data[:n - first] = samples[first:n]
    self._written += n
    return n

  def read_into(self, out: np.ndarray) -> int:
    """Fills `out` with the oldest samples (silence past them).

    A read that comes up short counts an underrun: the samples it has are
    faded out at their end, and the first samples after the gap fade in,
    so an underrun is a short silence, not a click.

    Returns:
      Samples read from the ring.
    """
    n = min(out.size, self.available())
    start = self._read % self.capacity
    first = min(n, self.capacity - start)
    out[:first] = self._data[start:start + first]
    out[first:n] = self._data[:n - first]
    out[n:] = 0.0
    if n and self._faded_out:
      k = min(n, FADE_SAMPLES)
      out[:k] *= self._fade[:k]
      self._faded_out = False
    if n < out.size:
      self.underruns += 1
      k = min(n, FADE_SAMPLES)
      out[n - k:n] *= self._fade[::-1][FADE_SAMPLES - k:]
      self._faded_out = True
    self._read += n
    return n

  def read(self, n: int) -> np.ndarray:
    """The oldest min(n, available) samples, removed (a new array: for the
    non-real-time side)."""
    out = np.zeros([min(n, self.available())], np.float32)
    start = self._read % self.capacity
    first = min(out.size, self.capacity - start)
    out[:first] = self._data[start:start + first]
    out[first:] = self._data[:out.size - first]
    self._read += out.size
    return out

  def prime(self, n: int) -> None:
    """Writes n samples of silence (the latency the reader starts with)."""
    self.write(np.zeros([n], np.float32))
    self._faded_out = True


class EventRing:
  """A bounded FIFO of short MIDI messages with their sample times.

  Each slot holds (time in samples, status, data1, data2); longer
  messages (SysEx) are not kept.
  """

  def __init__(self, capacity: int = 1024):
    self.capacity = int(capacity)
    self._data = np.zeros([self.capacity, 4], np.int64)
    self._written = 0
    self._read = 0
    self.dropped = 0

  def push(self, time: int, message: bytes) -> None:
    """Adds one message (real-time safe; dropped when full or too long)."""
    if len(message) > 3 or not message or (
        self._written - self._read >= self.capacity):
      self.dropped += 1
      return
    row = self._data[self._written % self.capacity]
    row[0] = time
    row[1] = message[0]
    row[2] = message[1] if len(message) > 1 else 0
    row[3] = message[2] if len(message) > 2 else 0
    self._written += 1

  def pop_all(self) -> np.ndarray:
    """[n, 4] int64 messages pushed since the last call, oldest first."""
    written = self._written
    idx = np.arange(self._read, written) % self.capacity
    self._read = written
    return self._data[idx].copy()
