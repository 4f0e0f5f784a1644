// Keys inside sections (or typed top-level keys) of the Python files that ttv validates but never
// reads. They load so old files keep working, and each load warns by name, like ACCEPTED_LEGACY_KEYS.
export const IGNORED_PYTHON_KEY_PATHS = [
  // Hypercorn's worker count; ttv scales with `ttv worker` processes instead.
  'server.workers',
  // The Python keyframe mode's per-keyframe switch; ttv's keyframe mode always runs one call per segment.
  'single_keyframe_mode',
  // ImageRouter is not an image provider of ttv.
  'image_router_api_key',
  // The Python code read it but the Runway API it called never took it.
  'runway_ml.motion_amount',
  // api_config.yaml's Python log format string; ttv always logs JSON.
  'logging.format',
] as const;
