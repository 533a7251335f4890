import { z } from 'zod';
import { MIN_REMIND_EVERY_MS, type AlertRule } from '../domain/alerting/rule.js';
import { parseDuration } from '../domain/schedule.js';
import { CHANNEL_NAME_PATTERN } from './channelsSchema.js';

/** `alerts` of a job or of `defaults` (docs/alerting.md, Rules). */
export const alertsSchema = z
  .array(
    z.strictObject({
      channels: z.array(z.string().regex(CHANNEL_NAME_PATTERN, 'must name a channel')).min(1).max(20).describe('Names of channels of the jobs file.'),
      failureThreshold: z.int().min(1).max(1_000).optional().describe('Consecutive failed runs that trigger the alert. Default 3.'),
      successThreshold: z.int().min(1).max(1_000).optional().describe('Consecutive good runs that resolve it. Default 2.'),
      sendOnResolved: z.boolean().optional().describe('Notify when it is resolved. Default true.'),
      remindEvery: z.string().optional().describe('Remind while triggered, e.g. "30m" (at least 5m). Default: no reminders.'),
      on: z
        .array(z.enum(['down', 'degraded']))
        .min(1)
        .refine((on) => on.includes('down'), { message: 'must include "down" (["down"] or ["down", "degraded"])' })
        .optional()
        .describe('What counts as failed. Default ["down"].'),
      minLocations: z.int().min(1).max(100).optional().describe('Locations that must fail at once (n-of-m). Default 1.'),
    }),
  )
  .max(10)
  .describe('Alert rules: who is told, after how many failures, and how often reminded.');

export type AlertsInput = z.infer<typeof alertsSchema>;

/** Built-in values of an alert rule's optional fields (docs/alerting.md). */
export const ALERT_DEFAULTS = { failureThreshold: 3, successThreshold: 2, sendOnResolved: true, on: ['down'] as const, minLocations: 1 };

/**
 * The rules as domain values. `channels` are the names the jobs file defines: a name it does not
 * define is a problem, as is a `remindEvery` that is not a duration of at least 5 minutes.
 */
export function compileAlerts(input: AlertsInput | undefined, channels: ReadonlySet<string>, problem: (field: string, message: string) => void): AlertRule[] {
  return (input ?? []).map((rule, index) => {
    rule.channels.forEach((name, i) => {
      if (!channels.has(name)) {
        const known = channels.size === 0 ? 'the jobs file defines no channels' : `channels: ${[...channels].sort().join(', ')}`;
        problem(`alerts[${index}].channels[${i}]`, `"${name}" is not a channel of the jobs file (${known})`);
      }
    });
    let remindEveryMs: number | null = null;
    if (rule.remindEvery !== undefined) {
      const ms = parseDuration(rule.remindEvery);
      if (ms === undefined) problem(`alerts[${index}].remindEvery`, `"${rule.remindEvery}" is not a duration such as "30m" or "2h"`);
      else if (ms < MIN_REMIND_EVERY_MS) problem(`alerts[${index}].remindEvery`, `"${rule.remindEvery}" must be at least 5m`);
      else remindEveryMs = ms;
    }
    return {
      index,
      channels: rule.channels,
      failureThreshold: rule.failureThreshold ?? ALERT_DEFAULTS.failureThreshold,
      successThreshold: rule.successThreshold ?? ALERT_DEFAULTS.successThreshold,
      sendOnResolved: rule.sendOnResolved ?? ALERT_DEFAULTS.sendOnResolved,
      remindEveryMs,
      on: rule.on ?? ALERT_DEFAULTS.on,
      minLocations: rule.minLocations ?? ALERT_DEFAULTS.minLocations,
    };
  });
}
