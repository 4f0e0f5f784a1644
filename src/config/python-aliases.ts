// Keys of the Python config files that ttv keeps in another place: each is folded into its ttv key
// before validation, so old files (and `configSchema.parse` callers) keep working. These aliases are
// permanent and do not warn: the Python files must load unchanged (docs/configuration.md, "Python keys").
type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => !!v && typeof v === 'object' && !Array.isArray(v);

/** Wan2.1's settings at the root of pipeline_config.yaml; in ttv they live in the `wan2_1` section under the same names. */
export const WAN21_ROOT_KEYS = [
  'wan2_dir',
  'i2v_model_dir',
  'flf2v_model_dir',
  'size',
  'gpu_count',
  'frame_num',
  'sample_steps',
  'sample_shift',
  'guide_scale',
  'chaining_max_retries',
  'chaining_use_fsdp_flags',
] as const;

/**
 * A copy of a raw config with the Python keys moved to their ttv keys: root Wan2.1 keys into
 * `wan2_1` (a key the section sets wins), `server.cors_origins` appended to `security.cors_origins`,
 * and, with `storage.backend: gcs`, `gcs.prefix` as `storage.prefix` (where it always won). The input is not changed.
 */
export function foldPythonAliases(input: unknown): unknown {
  if (!isObject(input)) return input;
  const raw: Raw = { ...input };

  const wan: Raw = isObject(raw.wan2_1) ? { ...raw.wan2_1 } : {};
  let movedWan = false;
  for (const key of WAN21_ROOT_KEYS) {
    if (!(key in raw)) continue;
    const value = raw[key];
    delete raw[key];
    if (value === undefined || wan[key] !== undefined) continue;
    wan[key] = value;
    movedWan = true;
  }
  if (movedWan || isObject(raw.wan2_1)) raw.wan2_1 = wan;

  if (isObject(raw.server) && 'cors_origins' in raw.server) {
    const { cors_origins: fromServer, ...server } = raw.server;
    raw.server = server;
    const security: Raw = isObject(raw.security) ? { ...raw.security } : {};
    const own = security.cors_origins;
    if (Array.isArray(fromServer) && (own === undefined || Array.isArray(own))) {
      security.cors_origins = [...new Set([...((own as unknown[] | undefined) ?? []), ...fromServer])];
    } else if (fromServer !== undefined && own === undefined) {
      security.cors_origins = fromServer; // not a list: validated (and named) as security.cors_origins
    }
    raw.security = security;
  }

  if (isObject(raw.gcs) && 'prefix' in raw.gcs) {
    const { prefix, ...gcs } = raw.gcs;
    raw.gcs = gcs;
    const storage = isObject(raw.storage) ? raw.storage : undefined;
    if (prefix !== undefined && storage?.backend === 'gcs') raw.storage = { ...storage, prefix };
  }
  return raw;
}
