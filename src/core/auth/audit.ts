/**
 * Which requests leave an audit line, and what it says. A line is written for every request
 * that could change state (PUT, POST, PATCH, DELETE on the registry API, whatever its answer)
 * and for every refusal (401, 403, 429), including failed logins at the token endpoint. The one
 * exception is the credential-less ping every docker session starts with: its 401 is the
 * protocol's handshake, not a refusal of anything. Nothing secret is read into a record.
 */
import type { AuditRecord } from '../../ports/audit-sink.js';
import type { AnyRoute, RouteParams } from '../routes.js';
import type { Principal } from './principal.js';

const STATE_CHANGING = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
const REFUSALS = new Set([401, 403, 429]);

export interface AuditInput {
  method: string;
  route: AnyRoute | null;
  params: RouteParams;
  query: URLSearchParams;
  hadAuthorization: boolean;
  status: number;
  error: string | null;
  principal: Principal | null;
  claimedPrincipal: string | null;
  clientAddress: string | null;
  requestId: string;
  now?: Date;
}

export function shouldAudit(i: Pick<AuditInput, 'method' | 'route' | 'status' | 'hadAuthorization'>): boolean {
  if (REFUSALS.has(i.status)) return !(i.route?.operation === 'ping' && i.status === 401 && !i.hadAuthorization);
  return i.route !== null && i.route.operation !== 'token' && STATE_CHANGING.has(i.method);
}

export function auditRecord(i: AuditInput): AuditRecord {
  const q = i.query;
  const reference = i.params.reference ?? i.params.digest ?? q.get('digest') ?? q.get('mount') ?? i.params.uuid ?? null;
  return {
    time: (i.now ?? new Date()).toISOString(),
    principal: i.principal?.subject ?? null,
    principalKind: i.principal?.kind ?? null,
    claimedPrincipal: i.claimedPrincipal,
    clientAddress: i.clientAddress,
    method: i.method,
    operation: i.route?.operation ?? null,
    repository: i.params.name?.slice(0, 256) ?? null,
    reference: reference?.slice(0, 256) ?? null,
    status: i.status,
    error: i.error,
    requestId: i.requestId,
  };
}
