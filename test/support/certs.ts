import { generate } from 'selfsigned';

export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  /** Epoch ms of the certificate's notAfter, to the second. */
  readonly expiresAt: number;
}

/** A self-signed certificate for 127.0.0.1 / localhost valid from yesterday for `days` days. */
export async function selfSignedCertificate(days = 30, commonName = '127.0.0.1'): Promise<TestCertificate> {
  const notBeforeDate = new Date(Date.now() - 86_400_000);
  const notAfterDate = new Date(Math.floor((Date.now() + days * 86_400_000) / 1000) * 1000);
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private, expiresAt: notAfterDate.getTime() };
}
