import { describe, expect, it } from 'vitest';
import { fillSecrets, findSecretRefs, isUnresolvedKeyVaultReference, parseSecretRef, splitPem } from '../../../src/domain/auth.js';
import { parseCondition, type Condition } from '../../../src/domain/conditions/index.js';
import { judge, type Attempt } from '../../../src/domain/outcome.js';
import { hiddenForms, scrub } from '../../../src/domain/redact.js';

const VERSION = '0123456789abcdef0123456789ABCDEF';

describe('secret references', () => {
  it.each([
    ['api-token', { name: 'api-token', id: 'api-token' }],
    ['A1', { name: 'A1', id: 'A1' }],
    [`api-token/${VERSION}`, { name: 'api-token', version: VERSION, id: `api-token/${VERSION}` }],
    ['x'.repeat(127), { name: 'x'.repeat(127), id: 'x'.repeat(127) }],
  ])('%s parses', (text, expected) => {
    expect(parseSecretRef(text)).toEqual(expected);
  });

  it.each(['', 'api_token', 'api token', 'x'.repeat(128), 'api-token/', 'api-token/123', `api-token/${VERSION}/x`, 'a/b'])(
    '%j is rejected',
    (text) => {
      expect(parseSecretRef(text)).toMatch(/^is not a secret reference \(expected 1-127 letters, digits and "-"/);
    },
  );

  it.each([
    ['https://a.test/?code=${secret:fn-key}', ['fn-key'], []],
    ['Bearer ${secret:a} and ${secret:b/' + VERSION + '}', ['a', `b/${VERSION}`], []],
    ['no references', [], []],
    ['${secret:bad_name}', [], ['references ${secret:bad_name}, whose name is not a secret reference']],
    ['${secret:}', [], ['references ${secret:}, whose name is not a secret reference']],
    ['sk_live_9f8e ${secret:unclosed', [], ['has a ${secret: reference without its closing "}"']],
  ])('finds the references in %j', (text, ids, problems) => {
    const found = findSecretRefs(text);
    expect(found.refs.map((r) => r.id)).toEqual(ids);
    expect(found.problems.map((p) => p.split(' (expected')[0])).toEqual(problems);
    // A problem quotes the reference, never the text around it (it may be a value).
    for (const problem of found.problems) expect(problem).not.toContain('sk_live');
  });

  it('fills references, encoded for where they go', () => {
    const values: Record<string, string> = { key: 'a&b=c d', token: 'q"x' };
    const value = (id: string) => values[id] ?? '';
    expect(fillSecrets('https://a.test/?code=${secret:key}', value, encodeURIComponent)).toBe('https://a.test/?code=a%26b%3Dc%20d');
    expect(fillSecrets('{"t":"${secret:token}"}', value, (v) => JSON.stringify(v).slice(1, -1))).toBe('{"t":"q\\"x"}');
    expect(fillSecrets('Bearer ${secret:token}', value)).toBe('Bearer q"x');
  });

  it.each([
    ['@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x/)', true],
    ['  @Microsoft.KeyVault(VaultName=v;SecretName=x)', true],
    ['plain value', false],
    [undefined, false],
  ])('%j is an unresolved Key Vault reference: %s', (value, expected) => {
    expect(isUnresolvedKeyVaultReference(value)).toBe(expected);
  });
});

describe('splitPem', () => {
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  const chain = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----';
  const key = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----';
  const ecKey = '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----';

  it.each([
    ['key then certificate (as Key Vault exports it)', `${key}\n${cert}\n`, { cert, key }],
    ['certificate, chain, key', `${cert}\n${chain}\n${ecKey}`, { cert: `${cert}\n${chain}`, key: ecKey }],
    ['no key', cert, undefined],
    ['no certificate', key, undefined],
    ['not PEM', 'hello', undefined],
  ])('%s', (_name, pem, expected) => {
    expect(splitPem(pem)).toEqual(expected);
  });
});

describe('redaction', () => {
  it('masks every form a value can take, longest first', () => {
    const hidden = hiddenForms(['p@ss w/rd"', 'abc']);
    expect(hidden).not.toContain('abc'); // too short to search for
    const text = 'raw p@ss w/rd" url p%40ss%20w%2Frd%22 form p%40ss+w%2Frd%22 json p@ss w/rd\\"';
    expect(scrub(text, hidden)).toBe('raw *** url *** form *** json ***');
  });

  const attempt = (headers: Record<string, string>, body?: string): Attempt => ({
    type: 'response',
    status: 200,
    headers,
    ...(body === undefined ? {} : { body }),
    timings: { dns: 0, connect: 0, tls: 0, firstByte: 1, total: 1 },
  });
  const conditions = (...texts: string[]) => texts.map((t) => parseCondition(t) as Condition);

  it.each([
    ['[HEADERS].set-cookie == x', { 'set-cookie': 'session=abc123' }, '***'],
    ['[HEADERS].authorization == x', { authorization: 'Bearer t' }, '***'],
    // Counted as shown (`***`): len() tells no credential's length.
    ['len([HEADERS].set-cookie) == 1', { 'set-cookie': 'session=abc123' }, '3'],
    ['[HEADERS].x-request-id == x', { 'x-request-id': 'r-1' }, 'r-1'],
  ])('shows %s as %s', (condition, headers, actual) => {
    for (const compare of ['shown', 'full'] as const) {
      expect(judge(conditions(condition), attempt(headers), 0, { compare }).conditions[0]?.actual).toBe(actual);
    }
  });

  it('masks secret values a target echoes, before a long value is cut short', () => {
    const secret = 'S3CRET-echoed-value-0123456789';
    const body = `${'x'.repeat(190)}${secret}`;
    const verdict = judge(conditions('[BODY] == ok', '[HEADERS].x-echo == ok'), attempt({ 'x-echo': `token=${secret}` }, body), 0, { hidden: hiddenForms([secret]), compare: 'full' });
    expect(verdict.conditions.map((c) => c.actual)).toEqual([`${'x'.repeat(190)}***`, 'token=***']);
    expect(verdict.error?.message).toBe(`[BODY] (${'x'.repeat(190)}***) == ok; [HEADERS].x-echo (token=***) == ok`);
    expect(JSON.stringify(verdict)).not.toContain(secret.slice(0, 8));
  });

  it('masks secret values in a transport failure message', () => {
    const failure: Attempt = { type: 'failure', kind: 'protocol', message: 'bad url https://a.test/?code=k3y-value', timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 1 } };
    expect(judge([], failure, 0, { hidden: hiddenForms(['k3y-value']), compare: 'full' }).error?.message).toBe('bad url https://a.test/?code=***');
  });
});
