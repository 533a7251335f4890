import { findSecretRefs, type Auth } from '../domain/auth.js';
import { allows, type ReferenceKind, type ReferencePolicy } from '../domain/sandbox.js';
import type { AuthInput } from './compileAuth.js';

type Problem = (field: string, message: string) => void;

/** The setting that widens each list of the policy the app gives API callers. */
export const SANDBOX_SETTINGS = {
  env: 'PULSECHECK_API_ENV_ALLOW',
  secrets: 'PULSECHECK_API_SECRETS_ALLOW',
  managedIdentityScopes: 'PULSECHECK_API_MI_SCOPES_ALLOW',
} as const satisfies Partial<Record<ReferenceKind, string>>;

/** The end of the message refusing `${env:NAME}` in a field. */
export const ENV_NOT_ALLOWED = `which API jobs may not use: add it to ${SANDBOX_SETTINGS.env}`;

/**
 * Reports each reference of a sandboxed job that `policy` refuses, on its field: `${secret:…}` in
 * `texts` (url, headers and body, after `${env:}` substitution, so a reference an allowed setting
 * brings in is checked too), `auth.secret` of every type, and `managedIdentity`'s scope and client
 * ID. `${env:NAME}` is refused where it is substituted (`substituteEnv`), before any value is read.
 * Messages name the reference as written, never a value.
 */
export function refuseReferences(
  policy: ReferencePolicy,
  auth: Auth,
  written: AuthInput | undefined,
  texts: ReadonlyArray<readonly [field: string, text: string]>,
  problem: Problem,
): void {
  for (const [field, text] of texts) {
    for (const ref of findSecretRefs(text).refs) {
      if (!allows(policy, 'secrets', ref.name)) {
        problem(field, `references \${secret:${ref.id}}, a secret API jobs may not use: add ${ref.name} to ${SANDBOX_SETTINGS.secrets}`);
      }
    }
  }
  if ('secret' in auth && !allows(policy, 'secrets', auth.secret.name)) {
    problem('auth.secret', `names secret "${auth.secret.id}", which API jobs may not use: add ${auth.secret.name} to ${SANDBOX_SETTINGS.secrets}`);
  }
  if (auth.type !== 'managedIdentity' || written?.type !== 'managedIdentity') return;
  if (!allows(policy, 'managedIdentityScopes', auth.scope)) {
    problem('auth.scope', `"${written.scope}" is a managed identity scope API jobs may not use: add it to ${SANDBOX_SETTINGS.managedIdentityScopes}`);
  }
  if (auth.clientId !== undefined && !allows(policy, 'managedIdentityClientIds', auth.clientId)) {
    problem(
      'auth.clientId',
      "chooses one of the app's user-assigned identities, which API jobs may not do: leave it out to use the app's own identity, or define the job in the jobs file",
    );
  }
}
