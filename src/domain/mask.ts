import { MASK, SENSITIVE_HEADERS } from './redact.js';

/**
 * Masking of secrets in job definitions as written, wherever a definition is shown (the API, the
 * audit log). A `${secret:name}` or `${env:NAME}` reference is not a secret and is shown as written;
 * a literal value in a sensitive place is replaced by `***`.
 */

/** URL query parameters that usually carry credentials (`?code=`, `?sig=`, `?api_key=` …). */
const SENSITIVE_PARAMS = /^(code|sig|signature|token|access_token|api[-_]?key|apikey|key|secret|password|pwd)$/i;
const REFERENCES = /\$\{(secret|env):[^}]+\}/g;
const REFERENCE = /^\$\{(secret|env):[^}]+\}$/;
/** What may stand beside references in a credential header: an auth scheme (`Bearer ${secret:x}`). */
const SCHEME_ONLY = /^\s*([A-Za-z][A-Za-z0-9-]*\s+)?$/;

/** Headers with credential values masked: one is shown only when it is references (and a scheme). */
export function maskHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const literal = value.replace(REFERENCES, '');
    masked[name] = SENSITIVE_HEADERS.has(name.toLowerCase()) && (literal === value || !SCHEME_ONLY.test(literal)) ? MASK : value;
  }
  return masked;
}

/** A URL with its password and credential-like query values masked (references kept). */
export function maskUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  let changed = false;
  if (parsed.password !== '' && !REFERENCE.test(decodeURIComponent(parsed.password))) {
    parsed.password = MASK;
    changed = true;
  }
  for (const [name, value] of [...parsed.searchParams]) {
    if (SENSITIVE_PARAMS.test(name) && !REFERENCE.test(value)) {
      parsed.searchParams.set(name, MASK);
      changed = true;
    }
  }
  // Rebuilt only when something was masked, so a URL with `${…}` references stays as written.
  return changed ? parsed.toString().replace(/%2A%2A%2A/g, MASK) : url;
}

/** A job definition as written, with `headers` and `url` masked (`auth` names secrets, never holds them). */
export function maskDefinition(definition: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...definition };
  if (typeof definition.url === 'string') masked.url = maskUrl(definition.url);
  if (definition.headers && typeof definition.headers === 'object') {
    masked.headers = maskHeaders(definition.headers as Record<string, string>);
  }
  return masked;
}
