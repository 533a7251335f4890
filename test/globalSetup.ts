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

/** Shared by the projects that use this setup (integration, e2e): one certificate for the whole run. */
interface Shared {
  trusted: Promise<TestCertificate & { readonly caFile: string; readonly dir: string }>;
  users: number;
}
const KEY = Symbol.for('pulsecheck.test.trustedTls');

/**
 * Runs before the test workers start, once per project that lists it: makes a certificate for the
 * HTTPS fakes (Key Vault, mutual-TLS target) and trusts it through NODE_EXTRA_CA_CERTS, which Node
 * reads only at process start, so the forked workers inherit it. CAs already listed there are kept.
 * Every project gets the same certificate (kept on globalThis: each project may load this module
 * afresh), so workers of any project trust what any other provides.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const global = globalThis as { [KEY]?: Shared };
  const shared = (global[KEY] ??= { trusted: trust(), users: 0 });
  shared.users++;
  const { dir, ...trusted } = await shared.trusted;
  project.provide('trustedTls', trusted);
  return () => {
    if (--shared.users === 0) rmSync(dir, { recursive: true, force: true });
  };
}

async function trust(): Promise<TestCertificate & { readonly caFile: string; readonly dir: string }> {
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
  return { ...certificate, caFile, dir };
}
