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

r"""DDSP Studio: timbre transfer, MIDI and your own instrument in a browser.

  ddsp_studio --models=demo_output        # then open http://127.0.0.1:8765/

--models: the folder of your instruments (model folders, zips of them,
DDSP-VST .tflite files): each is listed in the picker, the first selected;
instruments trained in the studio are added to it. The studio reads and
writes only there, in the instrument cache ($DDSP_CACHE) and in its work
folder (--work_dir, default <models>/.studio). It listens on 127.0.0.1
only, unless --host says otherwise. How: `ddsp.training.studio`.
"""

import os
import tempfile

from absl import flags
from ddsp.training import command_flags
from ddsp.training import output_paths
from ddsp.training.studio import folders
from ddsp.training.studio import instrument_jobs
from ddsp.training.studio import server

FLAGS = command_flags.new_flag_values()

flags.DEFINE_string('models', None, 'Folder of your instruments (model '
                    'folders, zips, .tflite); new ones are saved into it.',
                    flag_values=FLAGS)
flags.DEFINE_string('work_dir', None, 'Work folder: uploads, jobs and '
                    'their results (default: <models>/.studio).',
                    flag_values=FLAGS)
flags.DEFINE_string('host', '127.0.0.1', 'Address to listen on (another '
                    'than 127.0.0.1 lets other machines use the studio).',
                    flag_values=FLAGS)
flags.DEFINE_integer('port', 8765, 'Port to listen on (0: a free one).',
                     lower_bound=0, upper_bound=65535, flag_values=FLAGS)
flags.DEFINE_float('max_upload_mb', 512.0, 'Largest upload accepted, MB.',
                   lower_bound=0.001, flag_values=FLAGS)
flags.DEFINE_float('min_training_minutes', instrument_jobs.MIN_SECONDS / 60,
                   'Shortest recordings a training accepts, minutes.',
                   lower_bound=0.0, upper_bound=20.0, flag_values=FLAGS)


def main(unused_argv):
  command_flags.require(FLAGS, 'models')
  work_dir = FLAGS.work_dir or os.path.join(FLAGS.models, '.studio')
  with output_paths.new_folders_removed(work_dir):  # None left on failure.
    studio_folders = folders.make(FLAGS.models, work_dir)
    studio = server.Studio(studio_folders, int(FLAGS.max_upload_mb * 2**20),
                           FLAGS.min_training_minutes * 60)
    httpd = server.make_server(studio, FLAGS.host, FLAGS.port)
  tempfile.tempdir = studio_folders.tmp
  os.environ['TMPDIR'] = studio_folders.tmp
  print(f'DDSP Studio on {server.url_of(httpd)} (models: '
        f'{studio_folders.models}; work folder: {studio_folders.work}). '
        'Ctrl-C stops it.', flush=True)
  try:
    httpd.serve_forever()
  except KeyboardInterrupt:
    pass
  finally:
    instrument_jobs.stop_commands()
    httpd.server_close()


def console_entry_point():
  command_flags.run(main, FLAGS, 'ddsp_studio')


if __name__ == '__main__':
  console_entry_point()
