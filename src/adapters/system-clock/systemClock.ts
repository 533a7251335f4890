import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../app/ports/index.js';

/** The real clock. Long sleeps are split so a wall-clock change is noticed within a minute. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  async sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    for (let left = at - Date.now(); left > 0; left = at - Date.now()) {
      await sleep(Math.min(left, 60_000), undefined, signal ? { signal } : {});
    }
  }
}
