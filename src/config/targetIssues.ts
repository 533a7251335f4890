import type { Issue } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import { BLOCKED_BY_SETTING, describeRefusal, refusedUrlHost, type NetworkPolicy } from '../domain/network.js';

/**
 * The target guard's verdict at compile time, for API jobs and unsaved runs: a `url` or
 * `auth.tokenUrl` whose host is an IP literal in a refused range (`http://2130706433/` included,
 * which URL parsing makes `127.0.0.1`) is an issue on that field, so the caller gets a 400 rather
 * than a run refused at connect time. Host names are judged when they are resolved. The compiled
 * `job`'s URLs are checked (`${env:…}` substituted); without one (it has other problems), the
 * definition's own text, so that every problem is reported at once.
 */
export function targetIssues(job: Job | undefined, definition: Readonly<Record<string, unknown>>, policy: NetworkPolicy): Issue[] {
  const auth = job ? job.auth : (definition.auth as { tokenUrl?: unknown } | undefined);
  const fields: Array<readonly [field: string, url: unknown]> = [
    ['url', job ? job.url : definition.url],
    ['auth.tokenUrl', auth && 'tokenUrl' in auth ? auth.tokenUrl : undefined],
  ];
  return fields.flatMap(([field, url]) => {
    const refusal = typeof url === 'string' ? refusedUrlHost(url, policy) : undefined;
    if (!refusal) return [];
    const fix =
      refusal.addressClass === BLOCKED_BY_SETTING
        ? 'an operator closed that network (docs/security.md, Target guard)'
        : 'an operator can open its network with PULSECHECK_ALLOWED_NETWORKS (docs/security.md, Target guard)';
    return [{ path: field, message: `${field} ${describeRefusal(refusal)}: ${fix}` }];
  });
}
