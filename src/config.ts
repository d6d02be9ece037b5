/**
 * `stowage serve` configuration: command-line flags with environment equivalents, validated
 * with zod into one object. Adapter choice lives here and nowhere in the core.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { z } from 'zod';

const EVENT_SINKS = ['log', 'webhook', 'eventbridge'] as const;

const ServeConfig = z
  .object({
    host: z.string().min(1),
    port: z.coerce.number().int().min(0).max(65535),
    dataDir: z.string().min(1),
    storage: z.enum(['fs', 's3']),
    s3Bucket: z.string().min(1).optional(),
    s3Prefix: z.string(),
    s3ForcePathStyle: z.boolean(),
    s3ServeBlobs: z.enum(['redirect', 'stream']),
    s3PresignExpires: z.coerce.number().int().min(1).max(7 * 24 * 3600),
    metadata: z.enum(['sqlite', 'dynamodb']),
    dynamodbTable: z.string().min(3).optional(),
    events: z.array(z.enum(EVENT_SINKS)).min(1),
    webhooks: z.array(z.string().url()),
    eventBus: z.string().min(1).optional(),
    eventDetailType: z.string().min(1).optional(),
    createResources: z.boolean(),
    auth: z.enum(['none', 'local', 'cognito']),
    policyFile: z.string().min(1).optional(),
    tokenTtl: z.coerce.number().int().min(60).max(24 * 3600),
    service: z.string().min(1).max(255).optional(),
    realm: z.string().url().optional(),
    insecureNoAuth: z.boolean(),
    clientAddressHeader: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'a header name').optional(),
  })
  .superRefine((c, ctx) => {
    const need = (ok: boolean, message: string) => ok || ctx.addIssue({ code: 'custom', message });
    need(c.storage !== 's3' || !!c.s3Bucket, '--storage s3 needs --s3-bucket (STOWAGE_S3_BUCKET)');
    need(c.metadata !== 'dynamodb' || !!c.dynamodbTable, '--metadata dynamodb needs --dynamodb-table (STOWAGE_DYNAMODB_TABLE)');
    need(c.metadata !== 'dynamodb' || !!c.s3Bucket, '--metadata dynamodb keeps manifests too large for an item in S3: set --s3-bucket');
    need(!c.events.includes('eventbridge') || !!c.eventBus, '--events eventbridge needs --event-bus (STOWAGE_EVENT_BUS)');
    need(!c.events.includes('webhook') || c.webhooks.length > 0, '--events webhook needs at least one --webhook URL');
    need(c.auth !== 'none' || c.policyFile === undefined, '--policy takes effect only with --auth local or cognito');
    need(c.auth !== 'none' || (c.realm === undefined && c.service === undefined), '--realm and --service take effect only with --auth local or cognito');
    need(c.auth === 'none' || !c.insecureNoAuth, `--insecure-no-auth contradicts --auth ${c.auth}`);
    need(c.auth === 'none' || isLoopback(c.host) || !isWildcard(c.host) || c.realm !== undefined, `--auth ${c.auth} on ${c.host} needs --realm https://<public host>/token: clients fetch tokens from the realm, and ${c.host} is no address they can reach`);
    need(c.auth !== 'none' || isLoopback(c.host) || c.insecureNoAuth, `listening on ${c.host} needs --auth local or cognito (anyone who can reach the port could push, overwrite and delete images); --insecure-no-auth runs without it, for a registry behind an authenticating proxy`);
  });

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

export type ServeConfig = z.infer<typeof ServeConfig>;

export const SERVE_USAGE = `usage: stowage serve [options]

  --host HOST              address to listen on (STOWAGE_HOST, default 127.0.0.1)
  --port PORT              port (STOWAGE_PORT, default 5000)
  --data-dir DIR           embedded data: blobs, SQLite, event log (STOWAGE_DATA_DIR, default ./data)
  --storage fs|s3          where blob bytes live (STOWAGE_STORAGE, default fs)
  --s3-bucket NAME         S3 bucket (STOWAGE_S3_BUCKET)
  --s3-prefix PREFIX       key prefix inside the bucket (STOWAGE_S3_PREFIX, default none)
  --s3-force-path-style    path-style S3 URLs, for S3-compatible stores (STOWAGE_S3_FORCE_PATH_STYLE=1)
  --s3-serve-blobs MODE    redirect (307 to a presigned URL, default) or stream through the server
                           (STOWAGE_S3_SERVE_BLOBS; stream is for stores clients cannot reach)
  --s3-presign-expires S   presigned URL lifetime in seconds (STOWAGE_S3_PRESIGN_EXPIRES, default 900)
  --metadata sqlite|dynamodb  (STOWAGE_METADATA, default sqlite)
  --dynamodb-table NAME    DynamoDB table (STOWAGE_DYNAMODB_TABLE)
  --events LIST            comma-separated sinks: log, webhook, eventbridge (STOWAGE_EVENTS,
                           default log, plus webhook when --webhook is given)
  --webhook URL            POST every event to URL; repeatable (STOWAGE_WEBHOOKS, comma-separated)
  --event-bus NAME         EventBridge bus (STOWAGE_EVENT_BUS)
  --event-detail-type T    EventBridge detail-type (STOWAGE_EVENT_DETAIL_TYPE, default "Stowage Image Action")
  --create-resources       create the bucket/table when absent (emulators, development)
                           (STOWAGE_CREATE_RESOURCES=1)

Authentication:
  --auth none|local|cognito  none (default; loopback only), local users and signed tokens (add
                           users with \`stowage user add NAME\`), or an Amazon Cognito user pool
                           (STOWAGE_AUTH): its access tokens are verified on every request, and
                           /token logs people and machine clients in at Cognito. Cognito settings
                           come from the environment: STOWAGE_COGNITO_USER_POOL_ID,
                           STOWAGE_COGNITO_CLIENT_IDS (accepted app clients, comma-separated),
                           STOWAGE_COGNITO_USER_CLIENT_ID, STOWAGE_COGNITO_OAUTH_TOKEN_URL,
                           STOWAGE_COGNITO_RESOURCE_SERVER (default stowage), STOWAGE_COGNITO_REGION
  --policy FILE            who may pull, push, delete and list where (YAML or JSON; STOWAGE_POLICY;
                           with --auth cognito also inline as STOWAGE_POLICY_DOCUMENT).
                           Default: every authenticated user may do everything, anonymous nothing
  --token-ttl SECONDS      token lifetime, 60..86400 (STOWAGE_TOKEN_TTL, default 300)
  --service NAME           token audience and challenge service (STOWAGE_SERVICE, default HOST:PORT)
  --realm URL              token endpoint URL clients are sent to (STOWAGE_REALM, default
                           http://HOST:PORT/token); set it to the public URL behind a proxy
  --client-address-header H  header a trusted proxy sets to the client address, for rate limits
                           and audit (STOWAGE_CLIENT_ADDRESS_HEADER; default: the socket address)
  --insecure-no-auth       allow --auth none on an address beyond loopback (STOWAGE_INSECURE_NO_AUTH=1)

AWS endpoints, region and credentials come from the AWS SDK's standard configuration
(AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, ...).
`;

const optionalPath = (v: string | undefined) => (v ? resolve(v) : undefined);
const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);
const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

/** Parses flags (winning over environment) into a validated config; throws one readable Error. */
export function parseServeConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      storage: { type: 'string' },
      's3-bucket': { type: 'string' },
      's3-prefix': { type: 'string' },
      's3-force-path-style': { type: 'boolean' },
      's3-serve-blobs': { type: 'string' },
      's3-presign-expires': { type: 'string' },
      metadata: { type: 'string' },
      'dynamodb-table': { type: 'string' },
      events: { type: 'string' },
      webhook: { type: 'string', multiple: true },
      'event-bus': { type: 'string' },
      'event-detail-type': { type: 'string' },
      'create-resources': { type: 'boolean' },
      auth: { type: 'string' },
      policy: { type: 'string' },
      'token-ttl': { type: 'string' },
      service: { type: 'string' },
      realm: { type: 'string' },
      'client-address-header': { type: 'string' },
      'insecure-no-auth': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const webhooks = values.webhook ?? list(env.STOWAGE_WEBHOOKS) ?? [];
  const events = list(values.events) ?? list(env.STOWAGE_EVENTS) ?? (webhooks.length ? ['log', 'webhook'] : ['log']);
  const raw = {
    host: values.host ?? env.STOWAGE_HOST ?? '127.0.0.1',
    port: values.port ?? env.STOWAGE_PORT ?? '5000',
    dataDir: resolve(values['data-dir'] ?? env.STOWAGE_DATA_DIR ?? './data'),
    storage: values.storage ?? env.STOWAGE_STORAGE ?? 'fs',
    s3Bucket: values['s3-bucket'] ?? env.STOWAGE_S3_BUCKET,
    s3Prefix: values['s3-prefix'] ?? env.STOWAGE_S3_PREFIX ?? '',
    s3ForcePathStyle: values['s3-force-path-style'] ?? truthy(env.STOWAGE_S3_FORCE_PATH_STYLE),
    s3ServeBlobs: values['s3-serve-blobs'] ?? env.STOWAGE_S3_SERVE_BLOBS ?? 'redirect',
    s3PresignExpires: values['s3-presign-expires'] ?? env.STOWAGE_S3_PRESIGN_EXPIRES ?? '900',
    metadata: values.metadata ?? env.STOWAGE_METADATA ?? 'sqlite',
    dynamodbTable: values['dynamodb-table'] ?? env.STOWAGE_DYNAMODB_TABLE,
    events,
    webhooks,
    eventBus: values['event-bus'] ?? env.STOWAGE_EVENT_BUS,
    eventDetailType: values['event-detail-type'] ?? env.STOWAGE_EVENT_DETAIL_TYPE,
    createResources: values['create-resources'] ?? truthy(env.STOWAGE_CREATE_RESOURCES),
    auth: values.auth ?? env.STOWAGE_AUTH ?? 'none',
    policyFile: optionalPath(values.policy ?? env.STOWAGE_POLICY),
    tokenTtl: values['token-ttl'] ?? env.STOWAGE_TOKEN_TTL ?? '300',
    service: values.service ?? env.STOWAGE_SERVICE,
    realm: values.realm ?? env.STOWAGE_REALM,
    insecureNoAuth: values['insecure-no-auth'] ?? truthy(env.STOWAGE_INSECURE_NO_AUTH),
    clientAddressHeader: values['client-address-header'] ?? env.STOWAGE_CLIENT_ADDRESS_HEADER,
  };
  const parsed = ServeConfig.safeParse(raw);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  return parsed.data;
}
