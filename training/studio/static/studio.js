// Copyright 2026 The ddsp-modern Authors. Licensed under the Apache License, Version 2.0.
// DDSP Studio's page: forms built from /api/state, uploads as raw bodies,
// jobs submitted to /api/jobs and polled until they end.
'use strict';

const $ = (id) => document.getElementById(id);
let STATE = null;
const uploaded = {transfer: null, midi: null, train: []};

function setStatus(id, text, isError) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', !!isError);
}

async function api(path, options) {
  const response = await fetch(path, options);
  let body = {};
  try { body = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    throw new Error(body.error || `The studio answered ${response.status}.`);
  }
  return body;
}

// ---------------------------------------------------------------- pages
document.querySelectorAll('nav button').forEach((button) => {
  button.addEventListener('click', () => showPage(button.dataset.page));
});

function showPage(name) {
  document.querySelectorAll('nav button').forEach((b) =>
    b.classList.toggle('active', b.dataset.page === name));
  document.querySelectorAll('.page').forEach((p) => {
    p.hidden = p.id !== `page-${name}`;
  });
}

// ---------------------------------------------------------------- forms
function fillInstruments() {
  document.querySelectorAll('select.instrument').forEach((select) => {
    const chosen = select.value;
    select.innerHTML = '';
    for (const instrument of STATE.instruments) {
      const option = new Option(instrument.label, instrument.id);
      select.add(option);
    }
    if (chosen && STATE.instruments.some((i) => i.id === chosen)) {
      select.value = chosen;
    }
  });
}

function buildControls(fieldsetId, table) {
  const fieldset = $(fieldsetId);
  for (const control of table) {
    const div = document.createElement('div');
    div.className = 'control';
    div.title = control.help;
    const id = `${fieldsetId}-${control.name}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = control.label;
    div.append(label);
    let input;
    if (control.choices.length) {
      input = document.createElement('select');
      for (const choice of control.choices) input.add(new Option(choice, choice));
      input.value = control.default;
    } else if (typeof control.default === 'boolean') {
      input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = control.default;
    } else {
      input = document.createElement('input');
      input.type = 'range';
      Object.assign(input, {min: control.min, max: control.max, step: control.step});
      input.value = control.default;
      const output = document.createElement('output');
      output.textContent = control.default;
      input.addEventListener('input', () => { output.textContent = input.value; });
      div.append(input, output);
    }
    input.id = id;
    input.dataset.name = control.name;
    if (!div.contains(input)) div.append(input);
    fieldset.append(div);
  }
}

function settingsOf(fieldsetId) {
  const settings = {};
  $(fieldsetId).querySelectorAll('[data-name]').forEach((input) => {
    if (input.type === 'checkbox') settings[input.dataset.name] = input.checked;
    else if (input.type === 'range') settings[input.dataset.name] = Number(input.value);
    else settings[input.dataset.name] = input.value;
  });
  return settings;
}

// ---------------------------------------------------------------- uploads
async function upload(kind, file, name) {
  const limit = STATE.limits.upload_bytes;
  if (file.size > limit) {
    throw new Error(`${name || file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB; ` +
                    `the limit is ${(limit / 2 ** 20).toFixed(1)} MB.`);
  }
  const query = `kind=${kind}&name=${encodeURIComponent(name || file.name)}`;
  return api(`/api/upload?${query}`, {method: 'POST', body: file});
}

$('transfer-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (file) await useRecording(file, file.name);
});

async function useRecording(file, name) {
  uploaded.transfer = null;
  $('transfer-button').disabled = true;
  setStatus('transfer-upload-status', `Uploading ${name}…`);
  try {
    const result = await upload('audio', file, name);
    uploaded.transfer = result;
    setStatus('transfer-upload-status',
              `${result.name}: ${result.info.seconds.toFixed(1)} s`);
    $('transfer-button').disabled = false;
  } catch (e) {
    setStatus('transfer-upload-status', e.message, true);
  }
}

$('midi-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  uploaded.midi = null;
  $('midi-button').disabled = true;
  setStatus('midi-upload-status', `Uploading ${file.name}…`);
  try {
    const result = await upload('midi', file);
    uploaded.midi = result;
    const tracks = $('midi-track');
    tracks.innerHTML = '';
    for (const track of result.info.tracks) {
      tracks.add(new Option(`${track.label} (${track.notes} notes)`, track.index));
    }
    setStatus('midi-upload-status', `${result.name}: ${result.info.tracks.length} part(s) with notes`);
    $('midi-button').disabled = false;
  } catch (e) {
    setStatus('midi-upload-status', e.message, true);
  }
});

$('train-files').addEventListener('change', async (event) => {
  uploaded.train = [];
  $('train-button').disabled = true;
  const files = Array.from(event.target.files);
  try {
    for (const [i, file] of files.entries()) {
      setStatus('train-upload-status', `Uploading ${file.name} (${i + 1}/${files.length})…`);
      uploaded.train.push(await upload('audio', file));
    }
    const seconds = uploaded.train.reduce((s, u) => s + u.info.seconds, 0);
    const [lo, hi] = STATE.limits.training_seconds;
    const fits = seconds >= lo && seconds <= hi;
    setStatus('train-upload-status',
              `${files.length} file(s), ${(seconds / 60).toFixed(1)} minutes` +
              (fits ? '' : `: give ${lo / 60} to ${hi / 60} minutes of one instrument.`),
              !fits);
    $('train-button').disabled = !fits;
  } catch (e) {
    uploaded.train = [];
    setStatus('train-upload-status', e.message, true);
  }
});

// ---------------------------------------------------------------- recording
let recorder = null;
$('record').addEventListener('click', async () => {
  if (recorder) { recorder.stop(); return; }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true});
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = async () => {
      stream.getTracks().forEach((t) => t.stop());
      recorder = null;
      $('record').textContent = 'Record';
      const blob = new Blob(chunks, {type: chunks[0] ? chunks[0].type : ''});
      await useRecording(await toWav(blob), 'recording.wav');
    };
    recorder.start();
    $('record').textContent = 'Stop';
    setStatus('transfer-upload-status', 'Recording… press Stop to end.');
  } catch (e) {
    setStatus('transfer-upload-status', `Cannot record: ${e.message}`, true);
  }
});

async function toWav(blob) {
  // The browser's recording (webm/ogg) decoded and written as 16-bit mono WAV.
  const context = new AudioContext();
  const audio = await context.decodeAudioData(await blob.arrayBuffer());
  const samples = audio.getChannelData(0);
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const text = (offset, s) => [...s].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF'); view.setUint32(4, 36 + samples.length * 2, true); text(8, 'WAVE');
  text(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true);
  view.setUint16(22, 1, true); view.setUint32(24, audio.sampleRate, true);
  view.setUint32(28, audio.sampleRate * 2, true); view.setUint16(32, 2, true);
  view.setUint16(34, 16, true); text(36, 'data'); view.setUint32(40, samples.length * 2, true);
  samples.forEach((x, i) => view.setInt16(44 + 2 * i, Math.max(-1, Math.min(1, x)) * 32767, true));
  context.close();
  return new Blob([buffer], {type: 'audio/wav'});
}

// ---------------------------------------------------------------- jobs
async function submit(request, statusId) {
  setStatus(statusId, 'Queued…');
  try {
    const job = await api('/api/jobs', {
      method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(request)});
    return job;
  } catch (e) {
    setStatus(statusId, e.message, true);
    return null;
  }
}

function poll(jobId, onUpdate) {
  const tick = async () => {
    let job;
    try {
      job = await api(`/api/jobs/${jobId}`);
    } catch (e) {
      setTimeout(tick, 2000);
      return;
    }
    onUpdate(job);
    if (job.state === 'queued' || job.state === 'running') setTimeout(tick, 1000);
    else refreshJobs();
  };
  tick();
}

function describe(job) {
  if (job.state === 'queued') {
    return job.ahead ? `Queued: ${job.ahead} job(s) ahead.` : 'Queued…';
  }
  if (job.state === 'running') return `Working: ${job.progress.stage || 'starting'}…`;
  if (job.state === 'failed') return job.error;
  return 'Done.';
}

function showResult(prefix, job) {
  setStatus(`${prefix}-status`, describe(job), job.state === 'failed');
  if (job.state !== 'done') return;
  const files = `/files/${job.id}`;
  $(`${prefix}-audio`).src = `${files}/${job.result.audio}`;
  $(`${prefix}-download`).href = `${files}/${job.result.audio}?download=1`;
  $(`${prefix}-download`).download = job.result.download_name;
  $(`${prefix}-download`).textContent = `Download ${job.result.download_name}`;
  const plots = $(`${prefix}-plots`);
  plots.innerHTML = '';
  for (const name of job.result.plots) {
    const img = document.createElement('img');
    img.src = `${files}/${name}`;
    img.alt = name.replace('.png', '');
    plots.append(img);
  }
  if (job.result.report) $(`${prefix}-report`).textContent = job.result.report.join('\n');
  $(`${prefix}-result`).hidden = false;
  $(`${prefix}-status`).dataset.job = job.id;
}

$('transfer-button').addEventListener('click', async () => {
  $('transfer-result').hidden = true;
  const job = await submit({kind: 'transfer', instrument: $('transfer-instrument').value,
                            upload: uploaded.transfer.id,
                            settings: settingsOf('transfer-controls')}, 'transfer-status');
  if (job) poll(job.id, (j) => showResult('transfer', j));
});

$('midi-button').addEventListener('click', async () => {
  $('midi-result').hidden = true;
  const job = await submit({kind: 'midi', instrument: $('midi-instrument').value,
                            upload: uploaded.midi.id, track: $('midi-track').value,
                            settings: settingsOf('midi-controls')}, 'midi-status');
  if (job) poll(job.id, (j) => showResult('midi', j));
});

$('train-button').addEventListener('click', async () => {
  const job = await submit({kind: 'train', name: $('train-name').value,
                            uploads: uploaded.train.map((u) => u.id),
                            seconds: uploaded.train.map((u) => u.info.seconds),
                            settings: settingsOf('train-controls')}, 'train-status');
  if (job) followTraining(job.id);
});

function followTraining(jobId) {
  $('train-done').hidden = true;
  poll(jobId, showTraining);
}

function points(series, x0, x1, width, height, top) {
  // Plot coordinates of [[step, value]] scaled into the plot's frame.
  const values = series.map((p) => p[1]).filter(Number.isFinite);
  const lo = Math.min(...values), hi = Math.max(...values);
  const sx = (s) => 40 + width * (s - x0) / Math.max(x1 - x0, 1);
  const sy = (v) => top + height * (1 - (v - lo) / Math.max(hi - lo, 1e-9));
  const finite = series.filter((p) => Number.isFinite(p[1]));
  const xy = finite.map((p) => [sx(p[0]), sy(p[1])]);
  // One point is drawn as a dot: a 2-unit segment with round caps.
  if (xy.length === 1) xy.push([xy[0][0] + 2, xy[0][1]]);
  return {text: xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '),
          lo, hi};
}

function showTraining(job) {
  $('train-progress').hidden = false;
  setStatus('train-status', describe(job), job.state === 'failed');
  const progress = job.progress || {};
  const loss = progress.loss || [];
  const health = progress.health || [];
  $('train-step').textContent = progress.step || 0;
  if (progress.eta_seconds !== undefined) {
    const s = Math.round(progress.eta_seconds);
    $('train-eta').textContent = job.state === 'running' && progress.stage === 'training'
      ? `about ${Math.floor(s / 60)} min ${s % 60} s left` : '';
  }
  if (loss.length) {
    const x1 = loss[loss.length - 1][0];
    const curve = points(loss, loss[0][0], x1, 520, 180, 10);
    $('loss-curve').setAttribute('points', curve.text);
    $('loss-range').textContent = `loss ${curve.lo.toFixed(2)}–${curve.hi.toFixed(2)}`;
    $('step-range').textContent = `steps ${loss[0][0]}–${x1}`;
    if (health.length) {
      const hnr = points(health, loss[0][0], x1, 520, 180, 10);
      $('health-curve').setAttribute('points', hnr.text);
      $('health-range').textContent =
        `harmonic/noise ${hnr.lo.toFixed(1)}–${hnr.hi.toFixed(1)} dB`;
    }
  }
  if (job.state === 'done') {
    $('train-done').hidden = false;
    $('train-done-text').textContent =
      `${job.result.name} is ready: it is in the instrument picker.`;
    $('export-button').dataset.instrument = job.result.instrument;
    refreshState();
  }
}

$('export-button').addEventListener('click', async () => {
  const job = await submit({kind: 'export', instrument: $('export-button').dataset.instrument},
                           'export-status');
  if (!job) return;
  poll(job.id, (j) => {
    setStatus('export-status', describe(j), j.state === 'failed');
    if (j.state !== 'done') return;
    const list = $('export-files');
    list.innerHTML = '';
    for (const name of j.result.files) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `/files/${j.id}/${name}?download=1`;
      link.download = name;
      link.textContent = name;
      item.append(link);
      list.append(item);
    }
    for (const note of j.result.notes) {
      const item = document.createElement('li');
      item.textContent = note;
      list.append(item);
    }
  });
});

// ---------------------------------------------------------------- state
function renderJobs(jobs) {
  const list = $('job-list');
  list.innerHTML = '';
  for (const job of jobs.slice(-10).reverse()) {
    const item = document.createElement('li');
    const when = new Date(job.created * 1000).toLocaleTimeString();
    item.textContent = `${when} ${job.kind}: ${job.state}` +
      (job.state === 'failed' ? ` (${job.error})` : '');
    if (job.state === 'done' && job.result.audio) {
      const link = document.createElement('a');
      link.href = `/files/${job.id}/${job.result.audio}?download=1`;
      link.textContent = ` ${job.result.download_name}`;
      item.append(link);
    }
    list.append(item);
  }
}

async function refreshJobs() {
  STATE = await api('/api/state');
  renderJobs(STATE.jobs);
}

async function refreshState() {
  STATE = await api('/api/state');
  fillInstruments();
  renderJobs(STATE.jobs);
}

async function start() {
  STATE = await api('/api/state');
  fillInstruments();
  buildControls('transfer-controls', STATE.controls.transfer);
  buildControls('midi-controls', STATE.controls.midi);
  buildControls('train-controls', STATE.controls.train);
  const [lo, hi] = STATE.limits.training_seconds;
  $('train-limits').textContent = `${lo / 60} to ${hi / 60} minutes`;
  renderJobs(STATE.jobs);
  // A training that runs (or ran) while the page was closed.
  const trainings = STATE.jobs.filter((j) => j.kind === 'train');
  if (trainings.length) followTraining(trainings[trainings.length - 1].id);
  document.body.dataset.ready = 'true';
}

start().catch((e) => { document.body.textContent = `DDSP Studio: ${e.message}`; });
