import { ROOT_CONTEXT, createContextKey } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { SyncContextManager } from '../../../src/adapters/app-insights/syncContextManager.js';

const KEY = createContextKey('test');

describe('SyncContextManager (the App Insights sink\'s OpenTelemetry context)', () => {
  it('makes a context active while a function runs, nested, and restores the previous one after', () => {
    const manager = new SyncContextManager(ROOT_CONTEXT);
    const outer = ROOT_CONTEXT.setValue(KEY, 'outer');
    const inner = ROOT_CONTEXT.setValue(KEY, 'inner');
    const seen = manager.with(outer, () => {
      const during = [manager.active().getValue(KEY), manager.with(inner, () => manager.active().getValue(KEY))];
      return [...during, manager.active().getValue(KEY)];
    });
    expect(seen).toEqual(['outer', 'inner', 'outer']);
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('restores the previous context when the function throws, and passes this and arguments', () => {
    const manager = new SyncContextManager(ROOT_CONTEXT);
    expect(() => manager.with(ROOT_CONTEXT.setValue(KEY, 'x'), () => { throw new Error('boom'); })).toThrow('boom');
    expect(manager.active()).toBe(ROOT_CONTEXT);
    const self = { n: 2 };
    expect(manager.with(ROOT_CONTEXT, function (this: typeof self, a: number) { return this.n + a; }, self, 3)).toBe(5);
  });

  it('binds a function to a context, keeping its caller\'s this', () => {
    const manager = new SyncContextManager(ROOT_CONTEXT);
    const bound = manager.bind(ROOT_CONTEXT.setValue(KEY, 'bound'), function (this: { tag: string }) { return `${this.tag}:${String(manager.active().getValue(KEY))}`; });
    expect(bound.call({ tag: 't' })).toBe('t:bound');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });
});
