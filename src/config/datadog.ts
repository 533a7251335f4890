/**
 * When Datadog is on, and where its agent is: on when an agent address is set (`DD_TRACE_AGENT_URL`,
 * or `DD_AGENT_HOST` with `DD_TRACE_AGENT_PORT`, default 8126), or when `DD_API_KEY` is set (an agent
 * in the same container, e.g. Datadog serverless-init, at dd-trace's default 127.0.0.1), and
 * `DD_TRACE_ENABLED` is not false. Only the key's presence is read.
 * The entry points call this before loading anything else (dd-trace must start first), so it
 * imports nothing.
 * @returns the agent's base URL, e.g. `http://127.0.0.1:8126`, or `undefined` when Datadog is off.
 */
export function datadogAgentUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (/^(false|0|no|off)$/i.test(env.DD_TRACE_ENABLED?.trim() ?? '')) return undefined;
  const url = env.DD_TRACE_AGENT_URL?.trim();
  if (url) return url.replace(/\/+$/, '');
  const host = env.DD_AGENT_HOST?.trim() || (env.DD_API_KEY?.trim() ? '127.0.0.1' : undefined);
  if (!host) return undefined;
  const port = env.DD_TRACE_AGENT_PORT?.trim() || '8126';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
