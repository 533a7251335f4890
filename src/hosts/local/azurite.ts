import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** The ports `UseDevelopmentStorage=true` means. */
export const DEFAULT_PORTS = { blob: 10_000, queue: 10_001, table: 10_002 } as const;

export interface AzuriteOptions {
  /** Ports on 127.0.0.1; 0 for any free port. Default: any free port. */
  readonly ports?: { readonly blob: number; readonly queue: number; readonly table: number };
  /** Folder for Azurite's data; without it, data is kept in memory only. */
  readonly location?: string;
}

export interface RunningAzurite {
  /** Process id of Azurite. */
  readonly pid: number;
  /** A connection string for the account, with the real endpoints. */
  readonly connectionString: string;
  readonly endpoints: { readonly blob: string; readonly queue: string; readonly table: string };
  /** Stops Azurite and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Preloaded into Azurite's process: when the IPC channel to its parent closes (the host exited or
 * was killed, even with SIGKILL, which runs no handler of the host's), it stops Azurite as SIGTERM
 * does (Azurite closes its servers and stores its data), and exits after 5 s at the latest. A data:
 * URL, so there is no file to ship or find from `src/` and `dist/` alike.
 */
const DIES_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  'process.on("disconnect",()=>{setTimeout(()=>process.exit(0),5000).unref();process.kill(process.pid,"SIGTERM")});process.channel?.unref();',
)}`;

/**
 * Starts Azurite (the npm package) in its own process on 127.0.0.1, telemetry off. It is a
 * development dependency: it is there after `npm install`, not in a production deployment. It exits
 * when this process does, however this process ends.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  let main: string;
  try {
    main = join(dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist/src/azurite.js');
  } catch {
    throw new Error('Azurite is not installed: run `npm install`, or set AzureWebJobsStorage to a Storage account connection string');
  }
  const ports = options.ports ?? { blob: 0, queue: 0, table: 0 };
  const args = [main, '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose'];
  for (const service of ['blob', 'queue', 'table'] as const) args.push(`--${service}Host`, '127.0.0.1', `--${service}Port`, String(ports[service]));
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence', '--extentMemoryLimit', '64');
  }
  const child = spawn(process.execPath, ['--import', DIES_WITH_PARENT, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { PATH: process.env.PATH ?? '' },
  });
  // The channel is only there to tell the child when this process is gone; it must not keep it alive.
  child.channel?.unref();
  const endpoints = await listening(child);
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` +
    `BlobEndpoint=${endpoints.blob}/${ACCOUNT};QueueEndpoint=${endpoints.queue}/${ACCOUNT};TableEndpoint=${endpoints.table}/${ACCOUNT};`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid as number,
    connectionString,
    endpoints,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The endpoints Azurite prints once its three services listen. */
function listening(child: ChildProcess): Promise<RunningAzurite['endpoints']> {
  return new Promise((resolve, reject) => {
    const found: Record<string, string> = {};
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const match = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/.exec(line);
      if (match) found[(match[1] as string).toLowerCase()] = match[2] as string;
      if (found.blob && found.queue && found.table) resolve({ blob: found.blob, queue: found.queue, table: found.table });
    });
    child.once('exit', (code) => reject(new Error(`Azurite exited (code ${code}) before listening: ${errors.trim() || 'no message'}`)));
    child.once('error', reject);
  });
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
