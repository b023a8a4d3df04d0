"""README 'Scaling out': its Beam option lines work as written.

Each `--pipeline_options=...` of the section is parsed by the flag of
`ddsp_prepare_tfrecord` and turned into Beam's PipelineOptions as
`prepare_tfrecord_lib.prepare_tfrecord` does; no job is started.
"""
import logging
import os
import re
import subprocess
import sys
import tarfile

from apache_beam.options import pipeline_options as beam_options
import pytest

from ddsp import version
from ddsp.training.data_preparation import ddsp_prepare_tfrecord

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme_section(title):
  with open(os.path.join(REPO, 'README.md')) as f:
    text = f.read()
  start = text.index(f'\n## {title}\n')
  end = text.find('\n## ', start + 1)
  return text[start:end if end > 0 else None]


SECTION = _readme_section('Scaling out')
OPTION_LINES = re.findall(r'--pipeline_options=(\S+)', SECTION)
DATAFLOW_LINES = [v for v in OPTION_LINES if '--runner=DataflowRunner' in v]


def _pipeline_options(value, caplog):
  """PipelineOptions of `--pipeline_options=<value>`; fails on unknown args."""
  flag = ddsp_prepare_tfrecord.FLAGS['pipeline_options']
  flag_list = flag.parser.parse(value)  # The flag's own comma splitting.
  options = beam_options.PipelineOptions(list(flag_list))
  with caplog.at_level(logging.WARNING):
    options.get_all_options()
  discarded = [r.getMessage() for r in caplog.records
               if 'Discarding' in r.getMessage()]
  assert not discarded, discarded
  return options


def _in_repo(path):
  return os.path.normpath(os.path.join(REPO, path))


def test_the_section_gives_the_local_and_both_dataflow_recipes():
  assert len(OPTION_LINES) >= 4
  assert len(DATAFLOW_LINES) == 2
  assert 'requirements_file' not in SECTION  # No such file in the repository.


@pytest.mark.parametrize('value', OPTION_LINES)
def test_every_option_line_parses(value, caplog):
  options = _pipeline_options(value, caplog)
  runner = options.view_as(beam_options.StandardOptions).runner
  assert value.startswith(f'--runner={runner},') or runner is None


@pytest.mark.parametrize('value', DATAFLOW_LINES)
def test_dataflow_lines_ship_this_project_to_the_workers(value, caplog):
  options = _pipeline_options(value, caplog)
  assert options.view_as(
      beam_options.StandardOptions).runner == 'DataflowRunner'
  cloud = options.view_as(beam_options.GoogleCloudOptions)
  assert cloud.temp_location.startswith('gs://')
  assert cloud.project and cloud.region
  setup = options.view_as(beam_options.SetupOptions)
  shipped = [p for p in [setup.setup_file] + list(setup.extra_packages or [])
             if p]
  assert len(shipped) == 1, 'one way to install the project on the workers'
  if setup.setup_file:
    assert os.path.basename(setup.setup_file) == 'setup.py'
    assert os.path.isfile(_in_repo(setup.setup_file))
  else:
    wheel, = setup.extra_packages
    # What `pip wheel --no-deps . -w dist` writes for this version.
    assert 'pip wheel --no-deps . -w dist' in SECTION
    assert wheel == (f'dist/ddsp_modern-{version.__version__}'
                     '-py3-none-any.whl')


def test_the_source_package_beam_builds_holds_the_project(tmp_path):
  """What `--setup_file=./setup.py` installs on a worker (built offline)."""
  subprocess.run(
      [sys.executable, 'setup.py', '-q', 'egg_info', '--egg-base',
       str(tmp_path), 'sdist', '--dist-dir', str(tmp_path)],
      cwd=REPO, check=True, capture_output=True, timeout=600)
  archive, = [p for p in os.listdir(tmp_path) if p.endswith('.tar.gz')]
  assert archive == f'ddsp_modern-{version.__version__}.tar.gz'
  with tarfile.open(tmp_path / archive) as tar:
    names = {n.split('/', 1)[1] for n in tar.getnames() if '/' in n}
  for name in ('setup.py', 'README.md', 'ddsp/version.py',
               'data_preparation/prepare_tfrecord_lib.py',
               'gin/models/solo_instrument.gin'):
    assert name in names, name
