import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.js';

/** A span as the fake agent decoded it; ids as 16 hex digits. */
export interface AgentSpan {
  readonly name: string;
  readonly service: string;
  readonly resource: string;
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_id: string;
  readonly error: number;
  readonly meta: Record<string, string>;
  readonly metrics: Record<string, number>;
}

/** A DogStatsD datagram line, parsed: `name:value|type|#tag:value,…`. */
export interface StatsdMetric {
  readonly name: string;
  readonly value: number;
  readonly type: string;
  readonly tags: Record<string, string>;
}

export interface FakeDatadogAgent {
  /** `http://127.0.0.1:<port>`: DD_TRACE_AGENT_URL. */
  readonly url: string;
  /** DD_DOGSTATSD_PORT (host 127.0.0.1). */
  readonly statsdPort: number;
  readonly spans: AgentSpan[];
  readonly metrics: StatsdMetric[];
  /** Every byte received (traces, metrics, other requests) as text, to scan for what must not be there. */
  raw(): string;
  /** Resolves once `predicate` holds, polling what has arrived; rejects after `timeoutMs`. */
  waitFor<T>(predicate: () => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

function parseStatsd(line: string): StatsdMetric {
  const [head = '', type = '', ...rest] = line.split('|');
  const colon = head.lastIndexOf(':');
  const tagPart = rest.find((part) => part.startsWith('#'));
  const tags = Object.fromEntries(
    (tagPart?.slice(1).split(',') ?? []).map((tag) => {
      const i = tag.indexOf(':');
      return i < 0 ? [tag, ''] : [tag.slice(0, i), tag.slice(i + 1)];
    }),
  );
  return { name: head.slice(0, colon), value: Number(head.slice(colon + 1)), type, tags };
}

/** Starts the fake Datadog agent (test/support/datadog-agent.mjs) in its own process. */
export async function startFakeDatadogAgent(): Promise<FakeDatadogAgent> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./datadog-agent.mjs', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const spans: AgentSpan[] = [];
  const metrics: StatsdMetric[] = [];
  const raw: string[] = [];
  const ready = new Promise<{ httpPort: number; udpPort: number }>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message: { type: string; [key: string]: unknown }) => {
      if (message.type === 'ready') resolve(message as never);
      if (message.type === 'traces') for (const trace of message.traces as AgentSpan[][]) spans.push(...trace);
      if (message.type === 'statsd') {
        for (const line of message.lines as string[]) metrics.push(parseStatsd(line));
        raw.push((message.lines as string[]).join('\n'));
      }
      if (typeof message.raw === 'string') raw.push(message.raw);
    });
  });
  const { httpPort, udpPort } = await ready;
  return {
    url: `http://127.0.0.1:${httpPort}`,
    statsdPort: udpPort,
    spans,
    metrics,
    raw: () => raw.join('\n'),
    waitFor: (predicate, what, timeoutMs = 15_000) =>
      eventually(predicate, {
        timeoutMs,
        what: () => `${what} from the fake Datadog agent (${spans.length} spans, ${metrics.length} metrics so far)`,
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}
