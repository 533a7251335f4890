import { randomUUID } from 'node:crypto';
import azure from '@azure/functions';
import type { Logger } from '../../app/ports/index.js';

// @azure/functions is CommonJS: from ESM only `app` is a named export.
const { InvocationContext } = azure;

/** An `InvocationContext` whose `context.log/warn/error` go to the app's logger. */
export function invocationContext(functionName: string, logger: Logger, triggerMetadata?: Record<string, unknown>): InstanceType<typeof InvocationContext> {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName,
    ...(triggerMetadata ? { triggerMetadata } : {}),
    logHandler: (level, ...args) => {
      const err = args.find((a) => a instanceof Error);
      const message = args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
      const method = level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
      logger[method]({ function: functionName, ...(err ? { err } : {}) }, message);
    },
  });
}
