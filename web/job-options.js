// Per-job option fields of the submit form: only those this key may send, read from
// GET /v1/capabilities, with choices from the chosen backend's own durations and ratios.
// Self-contained: app.js calls mountJobOptions() once and readJobOptions() on submit.

const LABELS = {
  backend: 'Backend',
  generation_mode: 'Mode',
  duration_seconds: 'Duration (s)',
  segment_duration_seconds: 'Segment (s)',
  aspect_ratio: 'Aspect ratio',
  resolution: 'Resolution',
  seed: 'Seed',
  negative_prompt: 'Avoid',
  image: 'First frame',
  webhook: 'Webhook URL',
  max_cost_usd: 'Max cost (USD)',
};

let fieldset = null;
let caps = null;

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function backendOf(id) {
  return caps.backends.find((b) => b.id === id) ?? caps.backends.find((b) => b.id === caps.default_backend);
}

/** Refills the ratio and duration choices for the backend chosen now. */
function refreshChoices() {
  const chosen = fieldset.querySelector('[name="backend"]')?.value || caps.default_backend;
  const backend = backendOf(chosen);
  const ratio = fieldset.querySelector('[name="aspect_ratio"]');
  if (ratio) {
    const ratios = backend?.aspect_ratios ?? ['16:9', '9:16', '1:1', '4:3', '3:4', '21:9'];
    ratio.replaceChildren(
      el('option', { value: '', textContent: 'default' }),
      ...ratios.map((r) => el('option', { value: r, textContent: r })),
    );
  }
  const duration = fieldset.querySelector('[name="duration_seconds"]');
  if (duration && backend) {
    duration.min = String(backend.min_duration_seconds ?? 0.5);
    duration.max = String(
      backend.durations ? Math.max(...backend.durations) * 20 : (backend.max_duration_seconds ?? 60),
    );
    duration.title = backend.durations
      ? `clips of ${backend.durations.join(', ')} s`
      : `${backend.min_duration_seconds}–${backend.max_duration_seconds} s per clip`;
  }
}

/** "runway: gen4.5 ($0.12/s)": the backend, the catalog model it renders with (GET /v1/models) and its price. */
function backendLabel(b) {
  const model = b.model
    ? `: ${b.model}${b.model_lifecycle && b.model_lifecycle !== 'ga' ? ` (${b.model_lifecycle})` : ''}`
    : '';
  return `${b.id}${model}${b.usd_per_second ? ` ($${b.usd_per_second}/s)` : ''}`;
}

function input(name) {
  switch (name) {
    case 'backend':
      return el(
        'select',
        { name },
        el('option', { value: '', textContent: `default (${caps.default_backend})` }),
        ...caps.backends
          .filter((b) => b.available)
          .map((b) => el('option', { value: b.id, textContent: backendLabel(b) })),
      );
    case 'generation_mode':
      return el(
        'select',
        { name },
        el('option', { value: '', textContent: 'default' }),
        ...caps.generation_modes.map((m) => el('option', { value: m, textContent: m })),
      );
    case 'aspect_ratio':
      return el('select', { name });
    case 'image':
      return el('input', { name, type: 'file', accept: 'image/png,image/jpeg,image/webp' });
    case 'webhook':
      return el('input', { name, type: 'url', placeholder: 'https://example.com/hook' });
    case 'negative_prompt':
    case 'resolution':
      return el('input', { name, type: 'text', placeholder: name === 'resolution' ? '1280x720' : '' });
    default:
      return el('input', { name, type: 'number', step: name === 'seed' ? '1' : 'any', min: '0' });
  }
}

/** Shows the fields this key may use; nothing when it may use none (or the server is older). */
export async function mountJobOptions(target, api) {
  fieldset = target;
  try {
    caps = await api('/v1/capabilities');
  } catch {
    caps = null;
  }
  fieldset.replaceChildren();
  fieldset.hidden = !caps || caps.job_options.length === 0;
  if (fieldset.hidden) return;
  fieldset.append(el('legend', { textContent: 'Options' }));
  for (const name of caps.job_options) {
    const field = input(name);
    field.id = `opt-${name}`;
    fieldset.append(el('label', { htmlFor: field.id, textContent: LABELS[name] ?? name }), field);
  }
  fieldset.querySelector('[name="backend"]')?.addEventListener('change', refreshChoices);
  refreshChoices();
}

/** {options, image}: the filled-in options (numbers as numbers) and the chosen image file, if any. */
export function readJobOptions() {
  const options = {};
  let image = null;
  if (!fieldset || fieldset.hidden) return { options, image };
  for (const field of fieldset.querySelectorAll('[name]')) {
    const { name } = field;
    if (name === 'image') {
      image = field.files?.[0] ?? null;
      continue;
    }
    const value = field.value.trim();
    if (!value) continue;
    if (name === 'webhook') options.webhook = { url: value };
    else if (field.type === 'number') options[name] = Number(value);
    else options[name] = value;
  }
  return { options, image };
}

/** Clears what was sent, keeping the choices. */
export function resetJobOptions() {
  for (const field of fieldset?.querySelectorAll('input') ?? []) field.value = '';
}
