import { describe, expect, it } from 'vitest';
import { datadogAgentUrl } from '../../../src/config/datadog.js';

describe('datadogAgentUrl: when the Datadog sink is on, and where the agent is', () => {
  it.each([
    [{}, undefined],
    [{ DD_SERVICE: 'pulsecheck', DD_ENV: 'prod' }, undefined],
    [{ DD_AGENT_HOST: 'datadog-agent' }, 'http://datadog-agent:8126'],
    [{ DD_AGENT_HOST: 'datadog-agent', DD_TRACE_AGENT_PORT: '9126' }, 'http://datadog-agent:9126'],
    [{ DD_AGENT_HOST: '::1' }, 'http://[::1]:8126'],
    [{ DD_TRACE_AGENT_URL: 'http://127.0.0.1:8126/', DD_AGENT_HOST: 'ignored' }, 'http://127.0.0.1:8126'],
    [{ DD_API_KEY: 'x' }, 'http://127.0.0.1:8126'],
    [{ DD_AGENT_HOST: 'datadog-agent', DD_TRACE_ENABLED: 'false' }, undefined],
    [{ DD_API_KEY: 'x', DD_TRACE_ENABLED: '0' }, undefined],
  ])('%j → %s', (env, expected) => {
    expect(datadogAgentUrl(env)).toBe(expected);
  });
});
