/**
 * Sends an IAM login's signed sts:GetCallerIdentity request (already checked by
 * ./sts-login-request.ts) exactly as the client signed it, and reads who STS says signed it.
 *
 * node:https rather than fetch: the Host header must stay the one that was signed when the
 * request goes to another address (the iamLogin.stsEndpoint setting: a loopback fake in tests,
 * an interface VPC endpoint), and fetch does not let a caller set Host. No redirect is
 * followed. STS answers (XML):
 *
 *   200 <GetCallerIdentityResponse><GetCallerIdentityResult><Arn>..</Arn><UserId>..</UserId>
 *       <Account>..</Account></GetCallerIdentityResult>...</GetCallerIdentityResponse>
 *   4xx <ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>
 *       <Message>..</Message></Error>...</ErrorResponse>
 *
 * A 4xx is the caller's problem: LoginRefused with STS's code and message. Anything else (5xx,
 * no answer) is the registry's: a plain Error.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { LoginRefused, type SignedHttpRequest } from '../../ports/token-issuer.js';
import { xmlText } from './aws-xml.js';

export interface CallerIdentity {
  /** As STS returns it (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` for a role session). */
  arn: string;
  account: string;
}

/** Sends a checked signed request; the boundary the IAM login provider is tested at. */
export type StsCall = (request: SignedHttpRequest, url: URL) => Promise<CallerIdentity>;

const TIMEOUT_MS = 5000;
const MAX_ANSWER = 64 * 1024;

/** What STS's error codes mean to the person running stowage login. */
const HINTS: Record<string, string> = {
  SignatureDoesNotMatch: 'the signature does not match the request (was it changed after signing?)',
  IncompleteSignature: 'the signature is incomplete',
  InvalidClientTokenId: 'the access key is not valid',
  ExpiredToken: "the signing credentials' session token has expired: refresh the credentials",
  RequestExpired: 'the signature expired: run stowage login again',
};

/** STS at the request's own URL, or at `endpoint` (same Host header, same bytes). */
export function stsCaller(options: { endpoint?: string } = {}): StsCall {
  return (signed, url) =>
    new Promise<CallerIdentity>((resolve, reject) => {
      const target = options.endpoint ? new URL(options.endpoint) : url;
      const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
      const req = send(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port || undefined,
          path: '/',
          method: 'POST',
          // The signed headers as signed; Host is among them. Content-Length is ours to state.
          headers: { ...signed.headers, host: url.host, 'content-length': String(Buffer.byteLength(signed.body)) },
          servername: url.hostname,
          timeout: TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_ANSWER) chunks.push(c);
          });
          res.on('end', () => {
            const xml = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status === 200) {
              const arn = xmlText(xml, 'Arn');
              const account = xmlText(xml, 'Account');
              if (!arn || !account) reject(new Error('STS answered GetCallerIdentity without Arn and Account'));
              else resolve({ arn, account });
            } else if (status >= 400 && status < 500) {
              const code = xmlText(xml, 'Code') ?? `HTTP ${status}`;
              const message = (xmlText(xml, 'Message') ?? '').slice(0, 300);
              reject(new LoginRefused(`STS refused the signed request: ${HINTS[code] ?? code}${message ? ` (${code}: ${message})` : ''}`));
            } else {
              reject(new Error(`STS answered GetCallerIdentity with HTTP ${status}`));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`STS did not answer within ${TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(signed.body);
    });
}

/**
 * The ARN the policy matches: a role session (`arn:aws:sts::A:assumed-role/ROLE/SESSION`) is its
 * role (`arn:aws:iam::A:role/ROLE`; STS does not say the role's path, so patterns name roles
 * without it); users and anything else stay as STS wrote them.
 */
export function principalArn(arn: string): string {
  const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}
