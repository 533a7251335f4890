import type { TimerHandler } from '@azure/functions';
import type { Lifecycle } from '../../app/lifecycle.js';

/** The dispatcher timer: runs every job that is due before the next tick, each at its own instant. */
export const dispatcher =
  (lifecycle: Lifecycle): TimerHandler =>
  async (timer, context) => {
    const report = await lifecycle.tick();
    if (timer.isPastDue) context.warn(`dispatcher tick was late; planned ${report.planned} runs`);
  };
