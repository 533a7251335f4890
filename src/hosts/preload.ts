// Loaded first by both entry points, before any other module: dd-trace must be running before the
// modules it instruments (undici, pino, @azure/functions) are loaded. Off (nothing loaded) unless
// Datadog is configured. See adapters/datadog/tracer.ts.
import { startTracer } from '../adapters/datadog/tracer.js';

startTracer(process.env);
