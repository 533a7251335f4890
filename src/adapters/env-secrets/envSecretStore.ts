import type { SecretResult, SecretStore } from '../../app/ports/index.js';
import { isUnresolvedKeyVaultReference } from '../../domain/auth.js';

/**
 * The setting that holds a secret for local development: `PULSECHECK_SECRET_` and the name in upper
 * case with `-` as `_` (`api-token` → `PULSECHECK_SECRET_API_TOKEN`); a pinned version adds `__` and
 * the version (`PULSECHECK_SECRET_API_TOKEN__0F…`). Key Vault names are case-insensitive and have no
 * `_`, so no two secrets share a setting.
 */
export const secretSetting = (name: string, version?: string): string =>
  `PULSECHECK_SECRET_${name.toUpperCase().replaceAll('-', '_')}${version === undefined ? '' : `__${version.toUpperCase()}`}`;

/**
 * Secrets from settings (the environment, or `local.settings.json` Values locally): for local
 * development, or in Azure with App Service Key Vault references as the settings' values.
 */
export class EnvSecretStore implements SecretStore {
  readonly description = 'settings (PULSECHECK_SECRET_*)';

  constructor(readonly env: Readonly<Record<string, string | undefined>>) {}

  async get(name: string, version: string | undefined): Promise<SecretResult> {
    const setting = secretSetting(name, version);
    const value = this.env[setting];
    if (isUnresolvedKeyVaultReference(value)) {
      return {
        ok: false,
        reason: 'denied',
        message: `setting ${setting} holds a Key Vault reference the platform could not resolve (check the app's identity has "Key Vault Secrets User" on the vault)`,
      };
    }
    if (value === undefined || value === '') {
      return { ok: false, reason: 'not-found', message: `setting ${setting} is not set (environment or local.settings.json Values)` };
    }
    return { ok: true, value };
  }
}
