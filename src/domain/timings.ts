import type { Timings } from './run.js';

/**
 * The time spent reading the response after its first byte, in ms: the attempt's total less its
 * connection phases and the wait for the first byte (the blackbox exporter's `transfer` phase).
 */
export function transferMs(t: Timings): number {
  return Math.max(0, t.total - t.dns - t.connect - t.tls - t.firstByte);
}
