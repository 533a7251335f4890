import type { z } from 'zod';
import { findSecretRefs, NO_AUTH, parseSecretRef, type Auth, type SecretRef } from '../domain/auth.js';
import type { authSchema } from './jobsSchema.js';

export type AuthInput = z.infer<typeof authSchema>;
type Problem = (field: string, message: string) => void;

/**
 * The job's auth as a domain value. `env` substitutes `${env:NAME}` in the plain fields
 * (`tokenUrl`, `clientId`, `scope`, `username`); zod has checked the shapes and secret names.
 */
export function compileAuth(input: AuthInput | undefined, env: (field: string, text: string) => string, problem: Problem): Auth {
  if (input === undefined || input.type === 'none') return NO_AUTH;
  const secret = (): SecretRef => parseSecretRef((input as { secret: string }).secret) as SecretRef;
  switch (input.type) {
    case 'bearer':
    case 'clientCertificate':
      return { type: input.type, secret: secret() };
    case 'basic': {
      const username = env('auth.username', input.username);
      if (username.includes(':')) problem('auth.username', 'must not contain ":" (it separates the username from the password)');
      return { type: 'basic', username, secret: secret() };
    }
    case 'apiKey':
      return input.header !== undefined
        ? { type: 'apiKey', header: input.header.toLowerCase(), secret: secret() }
        : { type: 'apiKey', query: input.query as string, secret: secret() };
    case 'oauth2ClientCredentials': {
      const tokenUrl = env('auth.tokenUrl', input.tokenUrl);
      if (!URL.canParse(tokenUrl) || !/^https?:$/.test(new URL(tokenUrl).protocol)) {
        problem('auth.tokenUrl', `"${input.tokenUrl}" is not an absolute http(s) URL`);
      }
      const scope = input.scope === undefined ? undefined : env('auth.scope', input.scope);
      return {
        type: 'oauth2ClientCredentials',
        tokenUrl,
        clientId: env('auth.clientId', input.clientId),
        secret: secret(),
        ...(scope === undefined ? {} : { scope }),
      };
    }
    case 'managedIdentity': {
      const clientId = input.clientId === undefined ? undefined : env('auth.clientId', input.clientId);
      return { type: 'managedIdentity', scope: env('auth.scope', input.scope), ...(clientId === undefined ? {} : { clientId }) };
    }
  }
}

/**
 * Checks the `${secret:…}` references of each field and returns every secret the job names, each
 * once (`auth.secret` first). Also rejects what would make the auth ambiguous: a header the auth
 * sets also set in `headers`, a client certificate on plain HTTP.
 */
export function collectSecrets(
  auth: Auth,
  fields: ReadonlyArray<readonly [field: string, text: string]>,
  headers: Readonly<Record<string, string>>,
  url: string,
  problem: Problem,
): SecretRef[] {
  const refs = new Map<string, SecretRef>();
  if ('secret' in auth) refs.set(auth.secret.id, auth.secret);
  for (const [field, text] of fields) {
    const found = findSecretRefs(text);
    for (const message of found.problems) problem(field, message);
    for (const ref of found.refs) if (!refs.has(ref.id)) refs.set(ref.id, ref);
  }
  const owned = auth.type === 'apiKey' ? auth.header : ['bearer', 'basic', 'oauth2ClientCredentials', 'managedIdentity'].includes(auth.type) ? 'authorization' : undefined;
  if (owned !== undefined && headers[owned] !== undefined) {
    problem(`headers.${owned}`, `is also set by auth (${auth.type}): remove one of them`);
  }
  if (auth.type === 'clientCertificate' && !url.startsWith('https:')) problem('auth', 'clientCertificate needs an https:// url');
  return [...refs.values()];
}
