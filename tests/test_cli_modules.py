"""The console-script modules can live in one Python process."""
import subprocess
import sys

import pytest

CLI_MODULES = (
    'ddsp.training.ddsp_run',
    'ddsp.training.ddsp_export',
    'ddsp.training.timbre_transfer',
    'ddsp.training.data_preparation.ddsp_prepare_tfrecord',
    'ddsp.training.data_preparation.ddsp_generate_synthetic_dataset',
)


@pytest.mark.parametrize('order', [CLI_MODULES, CLI_MODULES[::-1]],
                         ids=['forward', 'reverse'])
def test_importing_every_cli_module_defines_no_duplicate_flag(order):
  code = ';'.join(f'import {m}' for m in order) + ";print('OK')"
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=600, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'OK' in result.stdout


@pytest.mark.parametrize('module', CLI_MODULES)
def test_cli_module_has_console_entry_point(module):
  imported = __import__(module, fromlist=['console_entry_point'])
  assert callable(imported.console_entry_point)
  assert callable(imported.main)

