import type { AlertChannels } from '../../app/channels.js';
import { handleCaller, type CallerHandler } from '../access.js';
import { json, jobNameParam } from '../http.js';

/**
 * POST /api/channels/{name}/test: sends a test notification through the channel and says what
 * happened (200 either way: a refused delivery is the answer, not an error); audited. Channel names
 * follow the job name rule, so `jobNameParam` checks `{name}`.
 */
export const testChannel = (channels: AlertChannels): CallerHandler =>
  handleCaller(async (request, caller) => json(await channels.test(jobNameParam(request), caller.actor)));
