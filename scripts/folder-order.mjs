// The one written order of src/'s top-level folders (and its loose files), lowest first. A module may
// import only from a lower layer: plumbing never knows who uses it, so a change low in the list cannot
// need a change above it to compile, and a reader can take the tree bottom-up.
// test/unit/folder-order.test.ts fails on any import against it; docs/architecture.md shows it.
//
// Why this order (where it differs from the obvious one):
// - logging sits below errors: an error's client text is redacted (errors/client-error.ts).
// - stores (the Redis connection, the SQLite schema of every table) sits below every store adapter:
//   jobs, access (API keys) and the API's shared counters all connect through it.
// - job-options sits above pipeline: checking a job's options needs the backends, the planner and the
//   pipeline's mode rules; the option names stay in config (the server's job_options setting
//   validates against them) and their stored shape in jobs (it is part of a job record).
export const FOLDER_ORDER = [
  ['text', 'version.ts', 'procedural'],
  ['logging'],
  ['errors'],
  ['config'],
  ['stores'],
  ['jobs'],
  ['access'],
  ['http', 'media', 'catalog', 'storage', 'edge', 'client'],
  ['generators'],
  ['images', 'planning'],
  ['pipeline'],
  ['job-options'],
  ['worker'],
  ['webhooks', 'retention'],
  ['api'],
  ['service.ts'],
  ['cli'],
];

/** The layer of a top-level entry of src/ (folder or file), or undefined when it is not placed. */
export function layerOf(entry) {
  const i = FOLDER_ORDER.findIndex((layer) => layer.includes(entry));
  return i < 0 ? undefined : i;
}
