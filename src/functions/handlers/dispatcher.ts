import type { TimerHandler } from '@azure/functions';
import type { Pulsecheck } from '../../app/pulsecheck.js';

/** The dispatcher timer: runs every job that is due before the next tick, each at its own instant. */
export const dispatcher =
  (app: Pulsecheck): TimerHandler =>
  async (timer, context) => {
    const report = await app.tick();
    if (timer.isPastDue) context.warn(`dispatcher tick was late; planned ${report.planned} runs`);
  };
