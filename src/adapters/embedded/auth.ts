/**
 * The embedded server's authentication: local users and signed tokens in the data directory,
 * an in-memory login limiter, the policy file (or the default: every authenticated user may do
 * everything), assembled into the core's AuthSettings.
 */
import { readFile } from 'node:fs/promises';
import { parsePolicyText } from '../../core/auth/policy-file.js';
import { Policy } from '../../core/auth/policy.js';
import type { AuthSettings } from '../../core/auth/settings.js';
import { EmbeddedIdentityProvider } from './identity-provider.js';
import { MemoryLoginLimiter } from './login-limiter.js';
import type { LoginLimits } from '../../ports/login-limiter.js';
import { log } from '../../log/logger.js';
import { HtpasswdFile } from './htpasswd.js';
import { DataPaths } from './paths.js';
import { loadOrCreateSigningKey } from './signing-key.js';
import { UsersFile } from './users-file.js';

export interface EmbeddedAuthOptions {
  dataDir: string;
  realm: string;
  service: string;
  /** An Apache htpasswd file of bcrypt entries, besides the users file (which wins on a name in both). */
  htpasswdFile?: string;
  /** A policy file (YAML or JSON); absent: every authenticated user may do everything. */
  policyFile?: string;
  /** An already parsed policy (tests); wins over policyFile. */
  policy?: Policy;
  tokenTtlSeconds?: number;
  loginLimits?: LoginLimits;
  now?: () => number;
}

export async function loadPolicyFile(path: string): Promise<Policy> {
  return parsePolicyText(await readFile(path, 'utf8'), path);
}

export async function createEmbeddedAuth(options: EmbeddedAuthOptions): Promise<AuthSettings> {
  const paths = new DataPaths(options.dataDir);
  const policy = options.policy ?? (options.policyFile ? await loadPolicyFile(options.policyFile) : Policy.allowAuthenticated());
  const key = await loadOrCreateSigningKey(paths.signingKey);
  const users = new UsersFile(paths.usersFile);
  const htpasswd = options.htpasswdFile ? await openHtpasswd(options.htpasswdFile, users) : undefined;
  const provider = new EmbeddedIdentityProvider({
    users,
    ...(htpasswd && { htpasswd }),
    key,
    issuer: options.realm,
    ...(options.tokenTtlSeconds !== undefined && { tokenTtlSeconds: options.tokenTtlSeconds }),
    ...(options.now && { now: options.now }),
  });
  return {
    provider,
    policy,
    realm: options.realm,
    service: options.service,
    limiter: new MemoryLoginLimiter(options.loginLimits, options.now),
  };
}

/** The htpasswd file, with a warning for the names the users file also has (the users file wins). */
async function openHtpasswd(path: string, users: UsersFile): Promise<HtpasswdFile> {
  const file = await HtpasswdFile.open(path, log);
  const local = await users.read();
  const both = file.names().filter((n) => local.has(n));
  if (both.length > 0) {
    log.warn(`htpasswd: ${both.length} user(s) of ${path} also in the users file, which wins for them: ${both.slice(0, 10).join(', ')}${both.length > 10 ? ', ...' : ''}`);
  }
  return file;
}
