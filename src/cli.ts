/**
 * `stowage` command line. `stowage serve` runs the registry on the embedded default
 * (filesystem blobs + SQLite metadata under --data-dir).
 */
import { createPorts } from './adapters/create-ports.js';
import { parseServeConfig, SERVE_USAGE } from './config.js';
import { startServer } from './shells/http/server.js';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function serve(argv: string[]): Promise<void> {
  const config = parseServeConfig(argv);
  if (config === 'help') {
    process.stdout.write(SERVE_USAGE);
    return;
  }
  if (!isLoopback(config.host)) {
    console.warn(
      `WARNING: listening on ${config.host} without authentication: anyone who can reach this port can push, overwrite and delete images. Bind to 127.0.0.1 or put the registry behind an authenticating proxy.`,
    );
  }
  const ports = await createPorts(config);
  const server = await startServer({ dataDir: config.dataDir, host: config.host, port: config.port }, ports);
  const where = [config.storage === 's3' ? `blobs in s3://${config.s3Bucket}/${config.s3Prefix}` : `blobs in ${config.dataDir}`, config.metadata === 'dynamodb' ? `metadata in DynamoDB table ${config.dynamodbTable}` : 'metadata in SQLite'];
  console.log(`stowage: registry listening on ${server.url} (${where.join(', ')})`);
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
      process.stdout.write(SERVE_USAGE);
      break;
    default:
      process.stderr.write(`stowage: unknown command "${command}"\n${SERVE_USAGE}`);
      process.exitCode = 2;
  }
}
