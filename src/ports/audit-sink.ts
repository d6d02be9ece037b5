/**
 * AuditSink: one record per state-changing request and per refused request, written after the
 * response is decided. Embedded: a JSON-lines file in the data directory; Lambda: the log
 * (CloudWatch). A record never holds a secret: no Authorization header, password or token.
 *
 * `record` must not throw and must not fail the request: a sink logs its own write failures.
 */
export interface AuditRecord {
  /** ISO 8601, when the response was decided. */
  time: string;
  /** Principal subject (`anonymous` without credentials, null when the credential was invalid). */
  principal: string | null;
  principalKind: 'user' | 'client' | 'iam' | 'anonymous' | null;
  /** The name a failed login at the token endpoint claimed (unverified; never a password). */
  claimedPrincipal: string | null;
  /** The trusted client-address header when configured, else the socket address. */
  clientAddress: string | null;
  method: string;
  /** The route's operation (`putManifest`, `token`, ...), or null for a path no route serves. */
  operation: string | null;
  repository: string | null;
  /** Tag or digest of a manifest, digest of a blob, upload id, mount source: what was acted on. */
  reference: string | null;
  /** The HTTP status answered. */
  status: number;
  /** The spec error code when the answer was an error (DENIED, UNAUTHORIZED, TOOMANYREQUESTS...). */
  error: string | null;
  requestId: string;
}

export interface AuditSink {
  record(entry: AuditRecord): Promise<void>;
}
