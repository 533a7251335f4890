import { isUnresolvedKeyVaultReference } from '../domain/auth.js';

/** Environment variables (process.env, or `local.settings.json` Values). */
export type Env = Readonly<Record<string, string | undefined>>;

const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${env:NAME}` with the variable's value and `${env:NAME:-fallback}` with the value or, when
 * unset or empty, the fallback. Names of unset variables without a fallback are returned in `missing`.
 * A variable holding an unresolved Key Vault reference is never used: it counts as unset (the
 * fallback applies), and without a fallback its name is returned in `unresolved`.
 * When `allowed` is given, a name it refuses is neither read nor reported as missing (whether a
 * setting exists is itself something to keep): it becomes empty and its name is returned in `refused`.
 * `${secret:…}` references are left for run time.
 */
export function substituteEnv(
  text: string,
  env: Env,
  allowed?: (name: string) => boolean,
): { text: string; missing: string[]; unresolved: string[]; refused: string[] } {
  const missing: string[] = [];
  const unresolved: string[] = [];
  const refused: string[] = [];
  const result = text.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
    if (allowed && !allowed(name)) {
      refused.push(name);
      return '';
    }
    const value = env[name];
    const usable = !isUnresolvedKeyVaultReference(value);
    if (usable && value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    (usable ? missing : unresolved).push(name);
    return '';
  });
  return { text: result, missing, unresolved, refused };
}
