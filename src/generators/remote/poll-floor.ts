// How often a vendor task may be polled. remote_api_settings.polling_interval is the operator's
// choice, but never below the vendor's floor: a vendor that updates a task at most every 5 s gains
// nothing from faster polls but load on the operator's rate limit. Each backend declares its floor,
// with its source, next to its protocol code; vendors that document none get DEFAULT_POLL_FLOOR.
// remote_api_settings.polling_interval_floor_override lifts every floor, for a base_url that is not
// the vendor (a local mock or a recording proxy), where the vendor's cadence does not apply.
import type { RemoteSettings } from './remote-settings.js';

export interface PollFloor {
  seconds: number;
  /** Where the figure comes from (a vendor document or SDK, with the date it was read), or why it is ttv's own. */
  source: string;
}

/** For vendors that document no cadence: one poll a second per task is plenty for clips that take minutes. */
export const DEFAULT_POLL_FLOOR: PollFloor = { seconds: 1, source: "no documented floor; ttv's default" };

export interface PollInterval {
  ms: number;
  /** The configured interval was below the floor and raised to it. */
  raised: boolean;
}

/** The interval a backend polls its tasks at: the configured one, raised to the floor unless the override is set. */
export function pollInterval(settings: RemoteSettings, floor: PollFloor): PollInterval {
  const floorMs = floor.seconds * 1000;
  if (settings.pollFloorOverride || settings.pollIntervalMs >= floorMs)
    return { ms: settings.pollIntervalMs, raised: false };
  return { ms: floorMs, raised: true };
}

/** The job-log line of a raised interval, once per task. */
export function raisedIntervalLine(backend: string, settings: RemoteSettings, floor: PollFloor): string {
  return `${backend}: polling every ${floor.seconds} s, not remote_api_settings.polling_interval ${settings.pollIntervalMs / 1000} s (${backend}'s floor: ${floor.source})`;
}
