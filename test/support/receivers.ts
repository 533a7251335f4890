import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { IncomingHttpHeaders } from 'node:http';
import { startServer, type TestServer } from './servers.js';

/** One POST a receiver took: headers and the exact body text. */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Receiver extends TestServer {
  readonly received: Received[];
  /** The answer to the next requests: status, headers and body (default 200, `ok`). */
  answer: { status: number; headers?: Record<string, string>; body?: string };
}

/** A real HTTP receiver on 127.0.0.1:0 that keeps every body and answers as told. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const state: Pick<Receiver, 'answer'> = { answer: { status: 200, body: 'ok' } };
  const server = await startServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(state.answer.status, state.answer.headers ?? {}).end(state.answer.body ?? '');
  });
  // Defined, not assigned: `answer` must stay an accessor of `state`, which the handler reads.
  return Object.defineProperties(server, {
    received: { value: received },
    answer: { get: () => state.answer, set: (value: Receiver['answer']) => (state.answer = value) },
  }) as Receiver;
}

export interface Mail {
  readonly from: string;
  readonly to: string[];
  readonly data: string;
}

/** A real SMTP server (npm `smtp-server`) on 127.0.0.1:0, without TLS or auth, keeping each mail. */
export async function startSmtp(): Promise<{ url: string; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
