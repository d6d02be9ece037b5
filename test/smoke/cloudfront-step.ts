/**
 * The smoke's `cloudfront` check: the registry host is the stack's CloudFront distribution, so
 * the docker, ctr and skopeo pushes and pulls went through it. CloudFront marks every answer
 * (`Via: ... (CloudFront)`, `X-Amz-Cf-Id`); with the stack's outputs, the host must also be its
 * RegistryHost or the distribution's own `*.cloudfront.net` name, and when a custom domain is
 * the registry host, the distribution's own name must answer `/v2/` as well. Without --stack, a
 * registry that is not behind CloudFront (the container image run elsewhere) is a SKIP.
 */
import { Skip } from './step.js';

/** How an answer shows it came through CloudFront, or undefined when it does not. */
export function cloudFrontMark(headers: Headers): string | undefined {
  const via = headers.get('via');
  if (via && /\(CloudFront\)/i.test(via)) return `Via: ${via}`;
  const id = headers.get('x-amz-cf-id');
  return id ? `X-Amz-Cf-Id: ${id}` : undefined;
}

async function ping(origin: string): Promise<Response> {
  const res = await fetch(`${origin}/v2/`, { signal: AbortSignal.timeout(30_000) });
  await res.arrayBuffer();
  if (res.status !== 200 && res.status !== 401) throw new Error(`GET ${origin}/v2/ -> ${res.status}, expected 200 or 401`);
  return res;
}

export async function cloudFrontStep(registry: string, outputs?: Record<string, string>): Promise<string> {
  const url = new URL(registry);
  const res = await ping(url.origin);
  const mark = cloudFrontMark(res.headers);
  if (!mark) {
    const why = `GET /v2/ answered without CloudFront's Via or X-Amz-Cf-Id: ${url.host} is not a CloudFront distribution`;
    // Without the stack, this may be a registry run elsewhere (the container image, `stowage serve`).
    if (!outputs) throw new Skip(`${why} (no --stack, so none is expected)`);
    throw new Error(why);
  }
  if (!outputs) return `GET /v2/ came through CloudFront (${mark})`;
  const { RegistryHost: registryHost, DistributionDomainName: distribution } = outputs;
  if (url.host !== registryHost && url.host !== distribution)
    throw new Error(`${url.host} is neither the stack's RegistryHost (${registryHost ?? 'no output'}) nor its distribution (${distribution ?? 'no output'})`);
  if (distribution && distribution !== url.host) {
    const own = await ping(`${url.protocol}//${distribution}`);
    if (!cloudFrontMark(own.headers)) throw new Error(`${distribution} answered /v2/ without CloudFront's headers`);
    return `GET /v2/ came through CloudFront (${mark}); ${url.host} is the RegistryHost and the distribution's own name ${distribution} answers too`;
  }
  return `GET /v2/ came through CloudFront (${mark}); ${url.host} is the stack's distribution`;
}
