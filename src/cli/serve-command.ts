/**
 * `stowage serve`: the registry on the embedded default (filesystem blobs + SQLite metadata under
 * --data-dir) or on AWS adapters, until SIGTERM/SIGINT. Loaded by main.ts only for `serve`: the
 * other commands start without the HTTP shell and the auth adapters.
 */
import { mkdir } from 'node:fs/promises';
import { createPorts } from '../adapters/create-ports.js';
import { createEmbeddedAuth, loadPolicyFile } from '../adapters/embedded/auth.js';
import { MemoryLoginLimiter } from '../adapters/embedded/login-limiter.js';
import type { AuthSettings } from '../core/auth/settings.js';
import { JsonLinesAuditSink } from '../adapters/embedded/audit-sink.js';
import { DataPaths, PRIVATE_DIR } from '../adapters/embedded/paths.js';
import { SETTINGS } from '../config/settings.js';
import { log, setLogLevel } from '../log/logger.js';
import { isLoopback, parseServeConfig } from './serve-config.js';
import { SERVE_USAGE } from './usage.js';
import { prepareDataDir, widerThanPrivate } from './data-dir.js';
import { ConfigError } from './config-error.js';
import { type RunningServer, startServer } from '../shells/http/server.js';
import { readTlsPair, type TlsPair } from '../shells/http/tls.js';

export async function serve(argv: string[]): Promise<void> {
  const config = parseServeConfig(argv);
  if (config === 'help') {
    process.stdout.write(SERVE_USAGE);
    return;
  }
  setLogLevel(config.logLevel);
  if (!isLoopback(config.host) && config.auth === 'none') {
    log.warn(`--insecure-no-auth: listening on ${config.host} without authentication: anyone who can reach this port can push, overwrite and delete images.`);
  }
  const wide = await widerThanPrivate(config.dataDir);
  if (wide.length > 0) {
    log.warn(`the data directory is readable by other local users, past the registry's auth: ${wide.join(', ')}; run chmod -R go-rwx ${config.dataDir}`);
  }
  await prepareDataDir(config.dataDir);
  const tls = config.tlsCert && config.tlsKey ? await tlsPairOrConfigError(config.tlsCert, config.tlsKey) : undefined;
  const ports = await createPorts(config);
  const paths = new DataPaths(config.dataDir);
  // The audit log and, with --auth local, the users file and signing key live in the data dir.
  await mkdir(paths.root, { recursive: true, mode: PRIVATE_DIR });
  const server = await startServer(
    {
      dataDir: config.dataDir,
      repositories: config.repositories,
      host: config.host,
      port: config.port,
      metrics: config.metricsAddr ? { listen: config.metricsAddr } : {},
      limits: {
        headersTimeoutMs: config.headersTimeout * 1000,
        bodyIdleTimeoutMs: config.bodyIdleTimeout * 1000,
        connectionsPerAddress: config.connectionsPerAddress,
        uploadsPerAddress: config.uploadsPerAddress,
      },
      ...(tls && { tls }),
      console: config.ui,
      gc: { intervalMs: config.gcInterval * 1000, graceMs: config.gcGrace * 1000, uploadTtlMs: config.gcUploadTtl * 1000 },
      security: async ({ url, host, port }) => {
        const urlHost = host.includes(':') ? `[${host}]` : host;
        const realm = config.realm ?? `${url}/token`;
        const service = config.service ?? `${urlHost}:${port}`;
        let auth: AuthSettings | undefined;
        if (config.auth === 'local') {
          auth = await createEmbeddedAuth({
            dataDir: config.dataDir,
            realm,
            service,
            tokenTtlSeconds: config.tokenTtl,
            ...(config.policyFile && { policyFile: config.policyFile }),
            ...(config.htpasswdFile && { htpasswdFile: config.htpasswdFile }),
          });
        } else if (config.auth === 'cognito') {
          // Loaded only when configured, like the other AWS adapters.
          const { createCognitoAuth, createCognitoProvider, policyFromEnv } = await import('../adapters/aws/cognito-auth.js');
          const { cognitoConfigFromEnv } = await import('../adapters/aws/cognito-config.js');
          const policy = config.policyFile ? await loadPolicyFile(config.policyFile) : policyFromEnv(config.environment);
          const cognitoConfig = cognitoSettings(() => cognitoConfigFromEnv(config.environment));
          // IAM login on (the stack's iamLogin): the upload service also accepts the tokens the registry mints.
          const { iamLoginConfigFromEnv, withIamLogin } = await import('../adapters/aws/iam-login-config.js');
          const iamLogin = cognitoSettings(() => iamLoginConfigFromEnv(config.environment));
          const provider = iamLogin ? withIamLogin(createCognitoProvider(cognitoConfig), iamLogin) : undefined;
          auth = createCognitoAuth({ config: cognitoConfig, policy, limiter: new MemoryLoginLimiter(), realm, service, ...(provider && { provider }) });
        }
        return {
          ...(auth && { auth }),
          audit: new JsonLinesAuditSink(paths.auditLog),
          ...(config.clientAddressHeader && { clientAddressHeader: config.clientAddressHeader }),
        };
      },
    },
    ports,
  );
  const where = [
    config.storage === 's3' ? `blobs in s3://${config.s3Bucket}/${config.s3Prefix}` : `blobs in ${config.dataDir}`,
    config.metadata === 'dynamodb' ? `metadata in DynamoDB table ${config.dynamodbTable}` : 'metadata in SQLite',
  ];
  const security =
    config.auth !== 'none'
      ? `auth ${config.auth}, ${config.policyFile ? `policy ${config.policyFile}` : config.environment[SETTINGS.policyDocument.env] && config.auth === 'cognito' ? `policy from ${SETTINGS.policyDocument.env}` : 'every authenticated user may do everything'}`
      : 'no authentication';
  const metrics = `metrics on ${server.metricsUrl ?? `${server.url}/metrics`}`;
  const consoleNote = config.ui ? `; web console on ${server.url}/ui/` : '';
  console.log(`stowage: registry listening on ${server.url} (${where.join(', ')}; ${security}; ${metrics}${consoleNote})`);
  handleSignals(server, config.shutdownTimeout, config.tlsCert && config.tlsKey ? { cert: config.tlsCert, key: config.tlsKey } : undefined);
}

async function tlsPairOrConfigError(certFile: string, keyFile: string): Promise<TlsPair> {
  try {
    return await readTlsPair(certFile, keyFile);
  } catch (err) {
    throw new ConfigError(`--${SETTINGS.tlsCert.flag} ${certFile} / --${SETTINGS.tlsKey.flag} ${keyFile}: ${(err as Error).message}`);
  }
}

/**
 * SIGTERM/SIGINT: graceful shutdown (exit 0, or 1 when requests had to be cut at the timeout; a
 * second signal cuts at once). SIGHUP: reload the TLS files; a bad pair keeps the one in service.
 */
function handleSignals(server: RunningServer, shutdownTimeoutSeconds: number, tlsFiles: { cert: string; key: string } | undefined): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: cutting the requests in flight now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: shutting down; requests in flight have ${shutdownTimeoutSeconds} s to finish`);
    server.drain(shutdownTimeoutSeconds * 1000).then(
      ({ cut }) => {
        if (cut > 0) log.error(`shutdown timeout (${shutdownTimeoutSeconds} s) reached: ${cut} request(s) in flight were cut`, { cut });
        else log.info('shut down: every request in flight finished');
        process.exit(cut > 0 ? 1 : 0);
      },
      (err: unknown) => {
        log.error('shutdown failed', { error: err });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => {
    if (!tlsFiles) {
      log.info('SIGHUP: nothing to reload (no TLS certificate configured)');
      return;
    }
    readTlsPair(tlsFiles.cert, tlsFiles.key).then(
      (pair) => {
        server.setTls(pair);
        log.info(`SIGHUP: reloaded the TLS certificate ${tlsFiles.cert} and key ${tlsFiles.key}`);
      },
      (err: unknown) => log.error(`SIGHUP: kept the TLS certificate in service: ${(err as Error).message}`),
    );
  });
}

/** The Cognito settings, whose refusal is a configuration error like any other (exit status 2). */
function cognitoSettings<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
