// The process groups (local models, ffmpeg) each job attempt started, recorded on disk so that they
// outlive a worker killed with SIGKILL: its children live on in their own groups (parent pid 1), and
// without a record the retry would start a second model next to the first. Before an attempt runs,
// the worker ends every still-alive group recorded by an earlier attempt of the same job on this host
// (SIGTERM, then SIGKILL after a grace). A record is one small file under <data_dir>/run/ named for
// job, attempt and group, holding the group id plus the leader's start time and the boot id, so that
// a reused pid is never mistaken for the old leader. Files go when their group ends or the attempt settles.
//
// Hand-written: no maintained package records process groups across a parent's crash; the liveness
// test reads /proc (Linux) and falls back to kill(-pgid, 0) elsewhere.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SpawnObserver } from '../media/spawn-observer.js';

export interface ProcessGroupRecord {
  job_id: string;
  attempt: number;
  pgid: number;
  /** The leader's start time (clock ticks since boot on Linux, `ps` lstart elsewhere). */
  started: string | null;
  boot_id: string | null;
  host: string;
}

export interface AttemptProcessGroupsOptions {
  /** <data_dir>/run */
  dir: string;
  /** SIGTERM → SIGKILL grace when ending a left-over group. */
  graceMs: number;
  host?: string;
}

const RECORD = /^([0-9a-f-]{36})_a(\d+)_(\d+)\.json$/;
const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** When the process started, or null when it does not exist. */
export function processStartTime(pid: number): string | null {
  if (HAS_PROC) {
    const fields = procStat(pid);
    return fields ? (fields[19] ?? null) : null; // field 22 of stat(5): starttime
  }
  try {
    return (
      execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
        encoding: 'utf8',
        timeout: 5000,
        killSignal: 'SIGKILL',
      }).trim() || null
    );
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AttemptProcessGroups {
  private readonly host: string;
  private readonly boot = bootId();

  constructor(private readonly options: AttemptProcessGroupsOptions) {
    this.host = options.host ?? hostname();
  }

  /** Records the groups one attempt spawns; pass it to observeSpawns around the attempt. */
  observer(jobId: string, attempt: number): SpawnObserver {
    return {
      spawned: (pgid) => {
        const record: ProcessGroupRecord = {
          job_id: jobId,
          attempt,
          pgid,
          started: processStartTime(pgid),
          boot_id: this.boot,
          host: this.host,
        };
        try {
          mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
          writeFileSync(this.file(jobId, attempt, pgid), JSON.stringify(record), { mode: 0o600 });
        } catch {
          // A full disk must not fail the spawn; this group is then simply not recorded.
        }
      },
      ended: (pgid) => {
        try {
          rmSync(this.file(jobId, attempt, pgid), { force: true });
        } catch {
          // Left for settle() or the worker's sweep; the group itself is already gone.
        }
      },
    };
  }

  /** Records on this host, optionally of one job. */
  records(jobId?: string): ProcessGroupRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.options.dir);
    } catch {
      return [];
    }
    const out: ProcessGroupRecord[] = [];
    for (const name of names) {
      const match = RECORD.exec(name);
      if (!match || (jobId && match[1] !== jobId)) continue;
      try {
        const record = JSON.parse(readFileSync(join(this.options.dir, name), 'utf8')) as ProcessGroupRecord;
        if (record.host === this.host) out.push(record);
      } catch {
        rmSync(join(this.options.dir, name), { force: true }); // half-written by a crash: nothing to trust
      }
    }
    return out;
  }

  /**
   * Ends the live groups that earlier attempts of this job left on this host, and drops their
   * records. Resolves once they are gone (or SIGKILL could not end them); returns what was ended.
   */
  async endEarlierAttempts(jobId: string, attempt: number): Promise<ProcessGroupRecord[]> {
    const ended: ProcessGroupRecord[] = [];
    for (const record of this.records(jobId)) {
      if (record.attempt >= attempt) continue;
      if (await this.end(record)) ended.push(record);
    }
    return ended;
  }

  /** Ends one recorded group if it still lives; removes its record. True when it was alive. */
  async end(record: ProcessGroupRecord): Promise<boolean> {
    const alive = this.isAlive(record);
    if (alive) {
      this.signal(record.pgid, 'SIGTERM');
      if (!(await this.waitGone(record, this.options.graceMs))) {
        this.signal(record.pgid, 'SIGKILL');
        await this.waitGone(record, 5000);
      }
    }
    rmSync(this.file(record.job_id, record.attempt, record.pgid), { force: true });
    return alive;
  }

  /** Drops the records of a settled attempt whose groups are gone (runProcess ends every group it starts). */
  settle(jobId: string, attempt: number): void {
    for (const record of this.records(jobId)) {
      if (record.attempt === attempt && !this.isAlive(record))
        rmSync(this.file(jobId, attempt, record.pgid), { force: true });
    }
  }

  /** Whether the recorded group still has a living (non-zombie) member that is really ours. */
  isAlive(record: ProcessGroupRecord): boolean {
    if (record.boot_id && this.boot && record.boot_id !== this.boot) return false; // rebooted since
    if (!HAS_PROC) {
      if (processStartTime(record.pgid) !== record.started && processStartTime(record.pgid) !== null) return false;
      try {
        process.kill(-record.pgid, 0);
        return true;
      } catch {
        return false;
      }
    }
    const leader = procStat(record.pgid);
    // A live leader with another start time is a new process that reused the pid: the group is gone,
    // since the kernel never hands out a pid still in use as a process group id.
    if (leader && leader[0] !== 'Z' && leader[19] !== record.started) return false;
    if (leader && leader[0] !== 'Z') return true;
    // Leader gone (or a zombie): members it left in the group, re-parented to init.
    return this.members(record.pgid).length > 0;
  }

  private members(pgid: number): number[] {
    const pids: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const fields = procStat(Number(name));
      // stat(5): field 3 state, field 5 pgrp.
      if (fields && fields[0] !== 'Z' && Number(fields[2]) === pgid) pids.push(Number(name));
    }
    return pids;
  }

  private signal(pgid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pgid, signal);
    } catch {
      // ESRCH: already gone.
    }
  }

  private async waitGone(record: ProcessGroupRecord, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!this.isAlive(record)) return true;
      if (Date.now() >= deadline) return false;
      await sleep(50);
    }
  }

  private file(jobId: string, attempt: number, pgid: number): string {
    return join(this.options.dir, `${jobId}_a${attempt}_${pgid}.json`);
  }
}
