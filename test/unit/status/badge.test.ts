import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { BADGE_COLORS, badgeState, badgeSvg, escapeXml, stateBadge, uptimeBadge } from '../../../src/domain/badge.js';
import { INITIAL_STATE, decideState, type Health } from '../../../src/domain/state.js';
import type { Run } from '../../../src/domain/run.js';

/** The SVG parsed: it must be well-formed XML; returns its title and the texts shown. */
function shown(svg: string): { title: string; texts: string[]; width: number } {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(svg) as {
    svg: { '@width': string; title: string; g: Array<{ text?: Array<{ '#text': string | number; '@aria-hidden'?: string }> }> };
  };
  const texts = doc.svg.g.flatMap((g) => g.text ?? []).filter((t) => t['@aria-hidden'] === undefined).map((t) => String(t['#text']));
  return { title: String(doc.svg.title), texts, width: Number(doc.svg['@width']) };
}

describe('badge state', () => {
  it.each([
    ['UNKNOWN', 'unknown'],
    ['UP', 'up'],
    ['DOWN', 'down'],
    ['DEGRADED', 'degraded'],
    ['MAINTENANCE', 'maintenance'],
  ] as const)('health %s: %s', (health: Health, expected) => {
    expect(badgeState({ health })).toBe(expected);
  });

  it('follows the state the runs make: a run in maintenance shows maintenance, whatever it found', () => {
    const run = (status: Run['status'], maintenance = false): Run => ({
      runId: `r-${status}`,
      job: 'shop',
      trigger: 'schedule',
      scheduledAt: '2026-05-10T12:00:00.000Z',
      startedAt: '2026-05-10T12:00:00.000Z',
      durationMs: 5,
      attempts: 1,
      status,
      success: status === 'up',
      httpStatus: 503,
      conditions: [],
      location: 'here',
      ...(maintenance ? { maintenance } : {}),
    });
    const after = (...runs: Run[]) => badgeState(runs.reduce((state, r) => decideState(state, r).next, INITIAL_STATE));
    expect(after(run('up'), run('down', true))).toBe('maintenance');
    expect(after(run('down'), run('degraded'))).toBe('degraded');
    expect(after(run('down', true), run('error'))).toBe('down');
    expect(after(run('up'), run('skipped'))).toBe('up');
  });

  it.each([
    ['up', BADGE_COLORS.brightgreen],
    ['degraded', BADGE_COLORS.yellow],
    ['down', BADGE_COLORS.red],
    ['maintenance', BADGE_COLORS.blue],
    ['unknown', BADGE_COLORS.grey],
  ] as const)('%s is coloured %s', (state, color) => {
    expect(stateBadge('shop', state)).toEqual({ label: 'shop', value: state, color });
  });
});

describe('uptime badge', () => {
  it.each([
    [100, '100%', BADGE_COLORS.brightgreen],
    [99.9, '99.9%', BADGE_COLORS.brightgreen],
    [99.899, '99.899%', BADGE_COLORS.green],
    [99, '99%', BADGE_COLORS.green],
    [98.999, '98.999%', BADGE_COLORS.yellow],
    [95, '95%', BADGE_COLORS.yellow],
    [94.5, '94.5%', BADGE_COLORS.orange],
    [90, '90%', BADGE_COLORS.orange],
    [89.999, '89.999%', BADGE_COLORS.red],
    [0, '0%', BADGE_COLORS.red],
    [null, 'no data', BADGE_COLORS.grey],
  ])('%s %%: "%s" in %s', (pct, value, color) => {
    expect(uptimeBadge('shop', '30d', pct)).toEqual({ label: 'shop uptime 30d', value, color });
  });
});

describe('badge SVG', () => {
  it.each([
    ['plain', 'shop', 'up'],
    ['XML specials', `a<b>&"c'`, '<script>alert(1)</script>'],
    ['control characters', 'x\u0001y', 'v\u001fw'],
    ['non-ASCII', 'Zürich ✓', '99.5%'],
    ['very long', 'n'.repeat(300), 'v'.repeat(300)],
  ])('is well-formed XML and shows label and value (%s)', (_what, label, value) => {
    const svg = badgeSvg({ label, value, color: '#4c1' });
    const { title, texts, width } = shown(svg);
    const clean = (t: string) => t.replace(/[\u0000-\u001f]/g, ''); // eslint-disable-line no-control-regex
    const clip = (t: string) => ([...t].length > 64 ? `${[...t].slice(0, 63).join('')}…` : t);
    expect(texts).toEqual([clip(clean(label)), clip(clean(value))]);
    expect(title).toBe(`${texts[0]}: ${texts[1]}`);
    expect(width).toBeGreaterThan(20);
    expect(width).toBeLessThan(1_200);
    expect(svg).not.toContain('<script');
  });

  it('is wider for longer text, and a colour that is not #hex falls back to grey', () => {
    expect(shown(badgeSvg({ label: 'a', value: 'up', color: '#4c1' })).width).toBeLessThan(shown(badgeSvg({ label: 'a much longer job name', value: 'up', color: '#4c1' })).width);
    expect(badgeSvg({ label: 'a', value: 'b', color: 'red" onload="x' })).toContain(`fill="${BADGE_COLORS.grey}"`);
  });

  it.each([
    ['&', '&amp;'],
    ['<>', '&lt;&gt;'],
    [`"'`, '&quot;&apos;'],
    ['a\u0000b', 'ab'],
  ])('escapeXml(%j) is %j', (text, escaped) => {
    expect(escapeXml(text)).toBe(escaped);
  });
});
