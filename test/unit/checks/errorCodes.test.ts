import { describe, expect, it } from 'vitest';
import { classifyErrorCode, describeFailure } from '../../../src/adapters/undici-prober/errorCodes.js';
import { BLOCKED_TARGET_CODE } from '../../../src/adapters/target-guard/guardedConnector.js';

describe('classifyErrorCode', () => {
  it.each([
    { code: 'ECONNREFUSED', name: undefined, kind: 'connect' },
    { code: 'EHOSTUNREACH', name: undefined, kind: 'connect' },
    { code: 'ENETUNREACH', name: undefined, kind: 'connect' },
    { code: 'ENOTFOUND', name: undefined, kind: 'dns' },
    { code: 'EAI_AGAIN', name: undefined, kind: 'dns' },
    { code: 'ECONNRESET', name: undefined, kind: 'reset' },
    { code: 'EPIPE', name: undefined, kind: 'reset' },
    { code: 'UND_ERR_SOCKET', name: undefined, kind: 'reset' },
    { code: 'UND_ERR_CONNECT_TIMEOUT', name: undefined, kind: 'timeout' },
    { code: 'UND_ERR_HEADERS_TIMEOUT', name: undefined, kind: 'timeout' },
    { code: 'UND_ERR_BODY_TIMEOUT', name: undefined, kind: 'timeout' },
    { code: 'ETIMEDOUT', name: undefined, kind: 'timeout' },
    { code: undefined, name: 'AbortError', kind: 'timeout' },
    { code: undefined, name: 'TimeoutError', kind: 'timeout' },
    { code: 'ECONNREFUSED', name: 'AbortError', kind: 'timeout' }, // the name wins
    { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', name: undefined, kind: 'tls' },
    { code: 'SELF_SIGNED_CERT_IN_CHAIN', name: undefined, kind: 'tls' },
    { code: 'CERT_HAS_EXPIRED', name: undefined, kind: 'tls' },
    { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', name: undefined, kind: 'tls' },
    { code: 'ERR_TLS_CERT_ALTNAME_INVALID', name: undefined, kind: 'tls' },
    { code: 'ERR_SSL_WRONG_VERSION_NUMBER', name: undefined, kind: 'tls' },
    { code: 'HPE_INVALID_CONSTANT', name: undefined, kind: 'protocol' },
    { code: 'SOMETHING_ELSE', name: undefined, kind: 'protocol' },
    { code: undefined, name: undefined, kind: 'protocol' },
    { code: undefined, name: 'TypeError', kind: 'protocol' },
  ])('code $code, name $name → $kind', ({ code, name, kind }) => {
    expect(classifyErrorCode(code, name)).toBe(kind);
  });
});

describe('describeFailure: what the prober reports for a request without a response', () => {
  const coded = (code: string, message: string, onCause = false) =>
    onCause ? Object.assign(new Error(message), { cause: { code } }) : Object.assign(new Error(message), { code });
  it.each([
    { name: 'the code before a message that does not name it', error: coded('ECONNREFUSED', 'connect failed'), aborted: false, kind: 'connect', message: 'ECONNREFUSED: connect failed' },
    { name: 'a code on the cause (undici wraps socket errors)', error: coded('ECONNRESET', 'other side closed', true), aborted: false, kind: 'reset', message: 'ECONNRESET: other side closed' },
    { name: 'a message that already names its code', error: coded('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere'), aborted: false, kind: 'dns', message: 'getaddrinfo ENOTFOUND nowhere' },
    { name: "the target guard's own words", error: coded(BLOCKED_TARGET_CODE, '127.0.0.1 is loopback'), aborted: false, kind: 'blocked-target', message: '127.0.0.1 is loopback' },
    { name: 'an aborted attempt, whatever was thrown', error: coded('UND_ERR_SOCKET', 'x'), aborted: true, kind: 'timeout', message: 'no response within 250 ms' },
    { name: 'an error without a message', error: {}, aborted: false, kind: 'protocol', message: 'request failed' },
  ])('$name', ({ error, aborted, kind, message }) => {
    expect(describeFailure(error, aborted, 250)).toEqual({ kind, message });
  });
});
