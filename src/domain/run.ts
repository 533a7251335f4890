import type { ConditionResult } from './conditions/ast.js';

export type RunStatus = 'up' | 'degraded' | 'down' | 'skipped' | 'error';
/** `followup`: started right after another run of a job that names this one in `onFailure`, `onSuccess` or `onCompletion`. */
export type Trigger = 'schedule' | 'manual' | 'followup';

/** Why an attempt got no usable HTTP response. */
export type TransportFailureKind = 'timeout' | 'connect' | 'dns' | 'tls' | 'reset' | 'protocol' | 'blocked-target';

/**
 * Stable reasons a run is not `up`, documented in docs/troubleshooting.md (Error kinds).
 * `conditions`: a response came but a condition failed. `circuit-open`, `overlap`, `overloaded`:
 * the run was skipped. `aborted`: the run was cut short by a shutdown (status `skipped`).
 * `maintenance`: the occurrence fell in a maintenance window with `checks: "pause"` (status `skipped`).
 * `internal`: a fault of Pulsecheck itself (status `error`).
 * `secret-unavailable`: a secret or token the request needs could not be obtained, so the target
 * was not called (status `error`; the message names the secret, never a value).
 * `blocked-target`: the target guard refused to connect to the target's (or the token endpoint's)
 * address (status `error`: not the target's fault, so never retried nor counted by the breaker; the
 * message names the address class, never a response).
 * `upstream-down`: a job this one depends on (`dependsOn`) was down, so the occurrence was skipped.
 */
export type RunErrorKind = (typeof RUN_ERROR_KINDS)[number];

/** Every `RunErrorKind`, as a value (the API's response schema lists them). */
export const RUN_ERROR_KINDS = [
  'timeout',
  'connect',
  'dns',
  'tls',
  'reset',
  'protocol',
  'conditions',
  'circuit-open',
  'overlap',
  'overloaded',
  'aborted',
  'maintenance',
  'internal',
  'secret-unavailable',
  'blocked-target',
  'upstream-down',
] as const;

/** Why a run was made without alerting (domain/dependencies.ts): the upstream jobs that were down. */
export interface Suppression {
  readonly reason: 'upstream-down';
  /** The upstream jobs that were down, by name. */
  readonly upstream: readonly string[];
}

/** Phase timings of the final attempt, in milliseconds. Connection phases are 0 on a reused connection. */
export interface Timings {
  readonly dns: number;
  readonly connect: number;
  readonly tls: number;
  /** From the request being written to the first byte of the response (server processing). */
  readonly firstByte: number;
  /** The whole attempt, body included. */
  readonly total: number;
}

/** The record of one run: the public result shape (DESIGN.md §3). */
export interface Run {
  /** `job@scheduledAt` for scheduled runs, so a redelivered occurrence is recognised. */
  readonly runId: string;
  readonly job: string;
  readonly trigger: Trigger;
  /** ISO 8601 instant the run was due. */
  readonly scheduledAt: string;
  /** ISO 8601 instant the run started. */
  readonly startedAt: string;
  readonly durationMs: number;
  /** HTTP requests made (0 when skipped). */
  readonly attempts: number;
  readonly status: RunStatus;
  readonly success: boolean;
  readonly httpStatus: number | null;
  readonly conditions: readonly ConditionResult[];
  readonly error?: { readonly kind: RunErrorKind; readonly message: string };
  readonly timings?: Timings;
  /** ISO 8601 expiry of the server certificate, for HTTPS targets. */
  readonly certificateExpiresAt?: string;
  readonly location: string;
  /** Trigger `followup`: the run whose end started this one. */
  readonly parentRunId?: string;
  /** True for the single catch-up run of occurrences missed during downtime. */
  readonly catchUp?: boolean;
  /** Ran while an upstream job was down (`whenUpstreamDown: "silent"`): it alerts nobody. */
  readonly suppressed?: Suppression;
  /** true when the run fell in a maintenance window */
  readonly maintenance?: boolean;
}

/** The last instant `isoInstant` formatted, and its text. */
let lastIsoMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, remembering the last answer: the checks of one instant (a thousand
 * jobs on one boundary) ask for the same instant's text for their run ids and records, once each.
 */
export function isoInstant(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

export const runIdFor = (job: string, scheduledAt: number): string => `${job}@${isoInstant(scheduledAt)}`;

/** The verdict of a run: what its checks decided (`judge`), or why nothing was judged. */
export type Verdict = Pick<Run, 'status' | 'success' | 'httpStatus' | 'conditions' | 'error'>;

/** Which run a record is about, known before the check starts. */
export interface RunIdentity {
  readonly runId: string;
  readonly job: string;
  readonly trigger: Trigger;
  /** Epoch ms the run was due (for manual runs: when it was asked for). */
  readonly scheduledAt: number;
  /** The single catch-up run of occurrences missed during downtime. Default false. */
  readonly catchUp?: boolean;
  /** Where the run ran (`PULSECHECK_RUN_LOCATION`). */
  readonly location: string;
  /** The run falls in a maintenance window (domain/maintenance.ts). Default false. */
  readonly maintenance?: boolean;
  /** Trigger `followup`: the run whose end started this one. */
  readonly parentRunId?: string;
  /** Runs while an upstream job is down (`whenUpstreamDown: "silent"`). */
  readonly suppressed?: Suppression;
}

/** What a check did: when, how many requests, what was decided, and its final attempt. */
export interface RunFacts {
  /** Epoch ms the check started. */
  readonly startedAt: number;
  /** Whole run, in ms (rounded). */
  readonly durationMs: number;
  /** HTTP requests made. */
  readonly attempts: number;
  readonly verdict: Verdict;
  /** The final attempt (a response or a failure), when a request was made: its timings and certificate. */
  readonly final?: FinalAttempt | undefined;
}

/** What a run keeps of its final attempt. */
export interface FinalAttempt {
  readonly timings: Timings;
  /** Epoch ms the server certificate expires (HTTPS responses). */
  readonly certificateExpiresAt?: number;
}

/**
 * The one builder of a `Run`. Fields are set in the order of the documented result shape
 * (DESIGN.md §3, `location` last) so that every run serialises alike.
 */
export function buildRun(id: RunIdentity, facts: RunFacts): Run {
  const { verdict, final } = facts;
  const run = {
    runId: id.runId,
    job: id.job,
    trigger: id.trigger,
    scheduledAt: isoInstant(id.scheduledAt),
    startedAt: new Date(facts.startedAt).toISOString(),
    durationMs: facts.durationMs,
    attempts: facts.attempts,
    status: verdict.status,
    success: verdict.success,
    httpStatus: verdict.httpStatus,
    conditions: verdict.conditions,
  } as { -readonly [K in keyof Run]: Run[K] };
  if (verdict.error) run.error = verdict.error;
  if (final) run.timings = final.timings;
  if (final?.certificateExpiresAt !== undefined) run.certificateExpiresAt = new Date(final.certificateExpiresAt).toISOString();
  run.location = id.location;
  if (id.parentRunId !== undefined) run.parentRunId = id.parentRunId;
  if (id.catchUp) run.catchUp = true;
  if (id.maintenance) run.maintenance = true;
  if (id.suppressed) run.suppressed = id.suppressed;
  return run;
}

/**
 * A run that made no request and judged nothing: `skipped` (overlap, overloaded, circuit-open) or
 * `error` (internal, secret-unavailable, blocked-target). `at` is epoch ms; the duration is 0.
 */
export function unjudgedRun(id: RunIdentity, at: number, kind: RunErrorKind, message: string, status: 'skipped' | 'error' = 'skipped'): Run {
  return buildRun(id, { startedAt: at, durationMs: 0, attempts: 0, verdict: unjudged(kind, message, status) });
}

/** The verdict of a run whose target was not judged (see `unjudgedRun`). */
export function unjudged(kind: RunErrorKind, message: string, status: 'skipped' | 'error'): Verdict {
  return { status, success: false, httpStatus: null, conditions: [], error: { kind, message } };
}
