/**
 * The client's address for rate limits and audit lines. Behind a proxy the socket address is
 * the proxy's, so a deployment names a header its proxy sets (CloudFront Function, load
 * balancer). Only a configured header is read: an unconfigured X-Forwarded-For is whatever the
 * client wrote. When the header is a list (X-Forwarded-For appends), the last entry is the one
 * the trusted proxy itself added.
 */
export function clientAddressOf(headers: Record<string, string | undefined>, socketAddress: string | null | undefined, trustedHeader: string | undefined): string | null {
  if (trustedHeader) {
    const value = headers[trustedHeader.toLowerCase()];
    const last = value?.split(',').at(-1)?.trim();
    if (last) return last.slice(0, 100);
  }
  return socketAddress ?? null;
}
