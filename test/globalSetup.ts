import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { selfSignedCertificate, type TestCertificate } from './support/certs.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A certificate for 127.0.0.1 that every test worker (and child it starts with `caFile`) trusts. */
    trustedTls: TestCertificate & { readonly caFile: string };
  }
}

/**
 * Runs once, before the test workers start: makes a certificate for the HTTPS fakes (Key Vault,
 * mutual-TLS target) and trusts it through NODE_EXTRA_CA_CERTS, which Node reads only at process
 * start, so the forked workers inherit it. CAs already listed there are kept.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const certificate = await selfSignedCertificate(30);
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-ca-'));
  const caFile = join(dir, 'ca.pem');
  let existing = '';
  try {
    existing = process.env.NODE_EXTRA_CA_CERTS ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
  } catch {
    // An unreadable file adds nothing; Node would only warn about it.
  }
  writeFileSync(caFile, `${existing}\n${certificate.cert}`);
  process.env.NODE_EXTRA_CA_CERTS = caFile;
  project.provide('trustedTls', { ...certificate, caFile });
  return () => rmSync(dir, { recursive: true, force: true });
}
