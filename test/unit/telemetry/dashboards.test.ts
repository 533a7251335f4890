import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_INSIGHTS_NAMES } from '../../../src/adapters/app-insights/appInsightsTelemetry.js';
import { DATADOG_METRICS } from '../../../src/adapters/datadog/datadogTelemetry.js';

const load = (file: string) => JSON.parse(readFileSync(`infra/dashboards/${file}`, 'utf8')) as Record<string, unknown>;
const DATADOG_NAMES = new Set<string>(Object.values(DATADOG_METRICS));
/** Every `pulsecheck.*` metric a Datadog query names. */
const metricsIn = (text: string) => [...text.matchAll(/[a-z0-9]+:(pulsecheck\.[a-z_.]+)\{/g)].map((m) => m[1] as string);

interface Widget {
  definition: { type: string; title?: string; requests?: Array<{ queries?: Array<{ query: string }> }> };
}

/** The dashboards and alerts as code import: each is valid JSON of its tool's shape and names what Pulsecheck sends. */
describe('infra/dashboards', () => {
  it('datadog-dashboard.json is a Datadog dashboard over the metrics the sink sends', () => {
    const dashboard = load('datadog-dashboard.json');
    expect(dashboard).toMatchObject({ title: expect.any(String), layout_type: 'ordered' });
    const widgets = dashboard.widgets as Widget[];
    expect(widgets.length).toBeGreaterThan(5);
    for (const widget of widgets) expect(['note', 'query_value', 'timeseries', 'toplist', 'query_table', 'trace_service']).toContain(widget.definition.type);
    const titles = widgets.map((w) => w.definition.title ?? '').join(' | ');
    for (const part of ['Success rate', 'by phase', 'Failures by job', 'Circuit state']) expect(titles).toContain(part);
    const queries = widgets.flatMap((w) => w.definition.requests ?? []).flatMap((r) => r.queries ?? []).map((q) => q.query);
    const named = queries.flatMap(metricsIn);
    expect(named.length).toBe(queries.length);
    for (const name of named) expect(DATADOG_NAMES).toContain(name);
    expect((dashboard.template_variables as Array<{ name: string }>).map((v) => v.name)).toEqual(['env', 'job']);
  });

  it('datadog-monitors.json holds importable monitors over the same metrics', () => {
    const monitors = JSON.parse(readFileSync('infra/dashboards/datadog-monitors.json', 'utf8')) as Array<Record<string, unknown>>;
    expect(monitors.length).toBeGreaterThanOrEqual(3);
    for (const monitor of monitors) {
      expect(monitor).toMatchObject({ name: expect.any(String), type: 'query alert', query: expect.any(String), message: expect.any(String), options: { thresholds: { critical: expect.any(Number) } } });
      const query = monitor.query as string;
      for (const name of metricsIn(query)) expect(DATADOG_NAMES).toContain(name);
      // The threshold in the query is the critical one.
      expect(Number(/[<>]=?\s*([\d.]+)$/.exec(query)?.[1])).toBe((monitor.options as { thresholds: { critical: number } }).thresholds.critical);
    }
  });

  it('workbook.json is an Azure Workbook over AppAvailabilityResults and the custom events', () => {
    const workbook = load('workbook.json');
    expect(workbook).toMatchObject({ version: 'Notebook/1.0', $schema: expect.stringContaining('workbook.json') });
    const items = workbook.items as Array<{ type: number; name: string; content: { version?: string; query?: string } }>;
    const queries = items.filter((item) => item.type === 3);
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const item of queries) expect(item.content.version).toBe('KqlItem/1.0');
    const text = queries.map((q) => q.content.query).join('\n');
    expect(text).toContain('AppAvailabilityResults');
    for (const measurement of ['dnsMs', 'connectMs', 'tlsMs', 'firstByteMs', 'totalMs', 'certificateDaysLeft']) expect(text).toContain(`Measurements.${measurement}`);
    expect(text).toContain(APP_INSIGHTS_NAMES.healthEvent);
    expect(text).toContain(APP_INSIGHTS_NAMES.circuitEvent);
    expect(new Set(items.map((i) => i.name)).size).toBe(items.length);
  });

  it('azure-alerts.json is an ARM template of scheduled query rules', () => {
    const template = load('azure-alerts.json');
    expect(template).toMatchObject({ $schema: expect.stringContaining('deploymentTemplate.json'), contentVersion: '1.0.0.0' });
    const parameters = template.parameters as Record<string, unknown>;
    const resources = template.resources as Array<{ type: string; apiVersion: string; properties: { severity: number; criteria: { allOf: Array<{ query: string; operator: string; threshold: number }> } } }>;
    expect(resources.length).toBeGreaterThanOrEqual(3);
    for (const resource of resources) {
      expect(resource.type).toBe('Microsoft.Insights/scheduledQueryRules');
      expect(resource.apiVersion).toMatch(/^\d{4}-\d\d-\d\d/);
      for (const criterion of resource.properties.criteria.allOf) {
        expect(criterion.query).toMatch(/^(AppAvailabilityResults|AppEvents)\b/);
        expect(['GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual', 'Equal']).toContain(criterion.operator);
      }
    }
    // Every parameter the resources use is declared.
    const used = [...JSON.stringify(resources).matchAll(/parameters\('(\w+)'\)/g)].map((m) => m[1] as string);
    for (const name of used) expect(Object.keys(parameters)).toContain(name);
  });
});
