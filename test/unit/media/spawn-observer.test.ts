// Whose spawns are observed: those of a running attempt, not those its code leaves behind once the
// attempt has settled (the storage is switched off then, which also spares every later promise of
// the process Node 20's async hooks).
import { expect, it } from 'vitest';
import { currentSpawnObserver, observeSpawns, type SpawnObserver } from '../../../src/media/spawn-observer.js';

const observer = (): SpawnObserver => ({ spawned: () => undefined, ended: () => undefined });

it('gives the observer to what the attempt awaits, and to nothing that runs after it settled', async () => {
  const mine = observer();
  let late: (() => SpawnObserver | undefined) | null = null;
  const lateSeen = new Promise<SpawnObserver | undefined>((resolve) => {
    late = () => {
      const o = currentSpawnObserver();
      resolve(o);
      return o;
    };
  });
  const during = await observeSpawns(mine, async () => {
    await new Promise((r) => setImmediate(r));
    setTimeout(() => late!(), 20); // left behind by the attempt
    return currentSpawnObserver();
  });
  expect(during).toBe(mine);
  expect(await lateSeen).toBeUndefined();
  expect(currentSpawnObserver()).toBeUndefined();
});

it('keeps observing an attempt while another one settles', async () => {
  const first = observer();
  const second = observer();
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const longer = observeSpawns(first, async () => {
    await held;
    await new Promise((r) => setImmediate(r));
    return currentSpawnObserver();
  });
  expect(await observeSpawns(second, async () => currentSpawnObserver())).toBe(second);
  release();
  expect(await longer).toBe(first);
});
