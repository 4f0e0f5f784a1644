// The ttv dashboard: submit prompts, watch jobs live, read logs, cancel, play the result.
// Plain modules, no build step. Live updates come from /v1/jobs/{id}/events; the stream is read
// with fetch because EventSource cannot send the Authorization header.

import { mountJobOptions, readJobOptions, resetJobOptions } from './job-options.js';

const $ = (id) => document.getElementById(id);
const TERMINAL = new Set(['finished', 'failed', 'canceled']);
const tokenInput = $('token');
tokenInput.value = localStorage.getItem('ttv-token') ?? '';
tokenInput.addEventListener('change', () => {
  localStorage.setItem('ttv-token', tokenInput.value.trim());
  tokenOk();
  refreshList();
  void mountJobOptions($('job-options'), api);
});

// A 401 is about the Token field: say so next to it, mark it, and put the cursor there when it
// becomes wrong, unless the person is typing somewhere else (the list refreshes every few seconds,
// and must not pull the cursor back each time).
function tokenNeeded() {
  const already = tokenInput.getAttribute('aria-invalid') === 'true';
  const message = tokenInput.value.trim()
    ? 'The server did not accept this token (401): check the Token field at the top of the page.'
    : 'This server needs a token (401): enter it in the Token field at the top of the page.';
  $('token-note').textContent = message;
  $('token-note').hidden = false;
  tokenInput.setAttribute('aria-invalid', 'true');
  const active = document.activeElement;
  const typingElsewhere = active && active !== tokenInput && ['INPUT', 'TEXTAREA'].includes(active.tagName);
  if (!already && !typingElsewhere) tokenInput.focus();
  return new Error(message);
}
function tokenOk() {
  $('token-note').hidden = true;
  tokenInput.removeAttribute('aria-invalid');
}

function headers(extra = {}) {
  const token = tokenInput.value.trim();
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: headers(init.headers) });
  if (res.status === 401) throw tokenNeeded();
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
  tokenOk();
  return body;
}

// ---- submitting ------------------------------------------------------------------------------
$('submit-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const prompt = $('prompt').value;
  $('submit').disabled = true;
  $('submit-status').textContent = 'Submitting…';
  $('submit-status').className = '';
  try {
    const { options, image } = readJobOptions();
    const hasOptions = Object.keys(options).length > 0;
    let init;
    if (image) {
      const form = new FormData();
      form.set('prompt', prompt);
      if (hasOptions) form.set('options', JSON.stringify(options));
      form.set('image', image);
      init = { method: 'POST', body: form };
    } else {
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(hasOptions ? { prompt, options } : { prompt }),
      };
    }
    const job = await api('/v1/jobs', init);
    // The job's webhook secret is shown this once; the server keeps no copy.
    $('submit-status').textContent =
      `Queued ${job.id.slice(0, 8)}${job.webhook_secret ? ` — webhook secret (copy it now): ${job.webhook_secret}` : ''}`;
    $('prompt').value = '';
    resetJobOptions();
    await refreshList();
    select(job.id);
  } catch (err) {
    $('submit-status').textContent = err.message;
    $('submit-status').className = 'error';
  } finally {
    $('submit').disabled = false;
  }
});

// ---- the job list ----------------------------------------------------------------------------
let selectedId = null;
const jobsById = new Map();

function row(job) {
  const tr = document.createElement('tr');
  tr.dataset.id = job.id;
  if (job.id === selectedId) tr.className = 'selected';
  const prompt = document.createElement('td');
  prompt.className = 'prompt';
  prompt.textContent = job.prompt;
  prompt.title = job.prompt;
  const status = document.createElement('td');
  const badge = document.createElement('span');
  badge.className = `badge ${job.status}`;
  badge.textContent = job.status;
  status.append(badge);
  const stage = document.createElement('td');
  stage.className = 'col-stage';
  stage.textContent = job.stage;
  const progress = document.createElement('td');
  const bar = document.createElement('progress');
  bar.max = 100;
  bar.value = job.progress;
  progress.append(bar, ` ${job.progress}%`);
  const actions = document.createElement('td');
  const open = document.createElement('button');
  open.className = 'secondary';
  open.type = 'button';
  open.textContent = 'Open';
  open.addEventListener('click', () => select(job.id));
  actions.append(open);
  tr.append(prompt, status, stage, progress, actions);
  return tr;
}

async function refreshList() {
  try {
    const { jobs } = await api('/v1/jobs?limit=20');
    $('list-error').hidden = true;
    jobsById.clear();
    for (const job of jobs) jobsById.set(job.id, job);
    $('jobs').replaceChildren(...jobs.map(row));
  } catch (err) {
    $('list-error').textContent = err.message;
    $('list-error').hidden = false;
  }
}

// ---- one job, live ---------------------------------------------------------------------------
let stream = null;

function showJob(job) {
  $('detail-status').textContent = job.status;
  $('detail-status').className = `badge ${job.status}`;
  $('detail-stage').textContent = job.stage ?? '';
  $('detail-progress').value = job.progress ?? 0;
  $('detail-percent').textContent = `${job.progress ?? 0}%`;
  $('detail-cancel').disabled = TERMINAL.has(job.status);
  if (TERMINAL.has(job.status)) askCancel(false);
  if (job.error) {
    $('detail-error').textContent = job.error;
    $('detail-error').hidden = false;
  }
}

// A link of the local store points at the server's own /files/ route, under server.public_url or the
// address the server was reached on (never the page's Host): play it from this page's origin, which
// the page's Content-Security-Policy allows and which is the same server. Bucket links stay as they are.
function playable(url) {
  const link = new URL(url, location.href);
  const local =
    link.pathname.startsWith('/files/') && link.searchParams.has('expires') && link.searchParams.has('signature');
  return local && link.origin !== location.origin ? `${link.pathname}${link.search}` : url;
}

async function showVideo(id) {
  const { url: signed } = await api(`/v1/jobs/${id}/artifact`);
  const url = playable(signed);
  const player = $('player');
  player.hidden = false;
  player.src = url;
  player.addEventListener(
    'loadedmetadata',
    () => {
      $('player-info').textContent = `${player.videoWidth}×${player.videoHeight}, ${player.duration.toFixed(1)} s`;
      player.dataset.duration = String(player.duration);
    },
    { once: true },
  );
  $('detail-download').href = url;
  $('detail-download').hidden = false;
}

async function follow(id, signal) {
  // Minimal SSE reader: "event:", "data:" and "id:" fields, blank line ends an event.
  const res = await fetch(`/v1/jobs/${id}/events`, { headers: headers({ accept: 'text/event-stream' }), signal });
  if (res.status === 401) throw tokenNeeded();
  if (!res.ok) throw new Error(`events: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      // The key this page uses was revoked: the server ended the stream; say so at the Token field.
      if (type === 'revoked') throw tokenNeeded();
      if (data) onEvent(id, type, JSON.parse(data));
    }
  }
}

function onEvent(id, type, data) {
  if (id !== selectedId) return;
  const current = { ...(jobsById.get(id) ?? {}), id };
  if (type === 'log') {
    const log = $('log');
    log.textContent += `${data.line}\n`;
    log.scrollTop = log.scrollHeight;
    return;
  }
  if (type !== 'status' && type !== 'progress') return;
  Object.assign(current, type === 'status' ? data : { progress: data.progress, stage: data.stage });
  jobsById.set(id, current);
  showJob(current);
  const tr = document.querySelector(`tr[data-id="${id}"]`);
  if (tr) tr.replaceWith(row(current));
  if (type === 'status' && data.status === 'finished')
    showVideo(id).catch((err) => {
      $('detail-error').textContent = err.message;
      $('detail-error').hidden = false;
    });
}

async function select(id) {
  selectedId = id;
  stream?.abort();
  stream = new AbortController();
  $('detail').hidden = false;
  $('detail-id').textContent = id;
  $('log').textContent = '';
  $('detail-error').hidden = true;
  $('player').hidden = true;
  $('player').removeAttribute('src');
  $('player-info').textContent = '';
  $('detail-download').hidden = true;
  askCancel(false);
  for (const tr of document.querySelectorAll('tr[data-id]')) tr.className = tr.dataset.id === id ? 'selected' : '';
  try {
    showJob(await api(`/v1/jobs/${id}`));
    await follow(id, stream.signal);
  } catch (err) {
    if (err.name !== 'AbortError') {
      $('detail-error').textContent = err.message;
      $('detail-error').hidden = false;
    }
  }
}

// Cancel is a two-step action: the button opens an inline question, "Yes" sends it.
function askCancel(open) {
  $('cancel-confirm').hidden = !open;
  $('detail-cancel').hidden = open;
}
$('detail-cancel').addEventListener('click', () => {
  askCancel(true);
  $('cancel-no').focus();
});
$('cancel-no').addEventListener('click', () => askCancel(false));
$('cancel-yes').addEventListener('click', async () => {
  askCancel(false);
  if (!selectedId) return;
  try {
    showJob(await api(`/v1/jobs/${selectedId}/cancel`, { method: 'POST' }));
  } catch (err) {
    $('detail-error').textContent = err.message;
    $('detail-error').hidden = false;
  }
});

refreshList();
setInterval(refreshList, 3000);

void mountJobOptions($('job-options'), api);
