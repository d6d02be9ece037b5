/**
 * `stowage` command line. `stowage serve` runs the registry on the embedded default
 * (filesystem blobs + SQLite metadata under --data-dir).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startServer } from './shells/http/server.js';

const USAGE = `usage: stowage serve [--host HOST] [--port PORT] [--data-dir DIR] [--webhook URL ...]

  --host      address to listen on (env STOWAGE_HOST, default 127.0.0.1)
  --port      port to listen on (env STOWAGE_PORT, default 5000)
  --data-dir  where blobs, metadata and the event log live (env STOWAGE_DATA_DIR, default ./data)
  --webhook   POST every push/delete event to this URL; repeatable (env STOWAGE_WEBHOOKS, comma-separated)
`;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      webhook: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env = process.env;
  const host = values.host ?? env.STOWAGE_HOST ?? '127.0.0.1';
  const portText = values.port ?? env.STOWAGE_PORT ?? '5000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${portText}"`);
  const dataDir = resolve(values['data-dir'] ?? env.STOWAGE_DATA_DIR ?? './data');
  const webhooks = values.webhook ?? (env.STOWAGE_WEBHOOKS ? env.STOWAGE_WEBHOOKS.split(',').filter(Boolean) : []);

  if (!isLoopback(host)) {
    console.warn(
      `WARNING: listening on ${host} without authentication: anyone who can reach this port can push, overwrite and delete images. Bind to 127.0.0.1 or put the registry behind an authenticating proxy.`,
    );
  }
  const server = await startServer({ dataDir, host, port, webhooks });
  console.log(`stowage: registry listening on ${server.url} (data in ${dataDir})`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(rest);
      break;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      break;
    default:
      process.stderr.write(`stowage: unknown command "${command}"\n${USAGE}`);
      process.exitCode = 2;
  }
}
