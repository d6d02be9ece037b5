/**
 * The smoke's `tags` check: repository names with a `tags` component route. On AWS the
 * viewer-request CloudFront Function parses each path from the right and rewrites it to the
 * API's fixed routes with the name in a header (src/shells/lambda/routed-name.ts), so
 * `<x>/tags/app` and `<x>/app/tags` must push, pull and list tags as any other name does; the
 * first design, with API resources per name depth, could route neither.
 */
import { digestOf, OCI_MANIFEST } from '../helpers/synthetic-push.js';
import { pullBlob, type SmokeImage, type SmokeRegistry } from './step.js';

/** The names the check pushes to: a `tags` component in the middle and at the end. */
export function tagsComponentNames(runId: string): string[] {
  return [`smoke/${runId}/tags/app`, `smoke/${runId}/app/tags`];
}

/** Pushes a small image to each name, pulls it back byte for byte and lists its tags. */
export async function tagsComponentStep(registry: SmokeRegistry, runId: string): Promise<{ detail: string; images: SmokeImage[] }> {
  const images: SmokeImage[] = [];
  for (const repo of tagsComponentNames(runId)) {
    const pushed = await registry.client.pushImage(repo, 'v1');
    const image: SmokeImage = { repo, tag: 'v1', digest: pushed.digest, blobs: [pushed.config.digest, ...pushed.layers.map((l) => l.digest)] };
    images.push(image);

    const manifest = await registry.client.call('GET', `/v2/${repo}/manifests/v1`, { headers: { accept: OCI_MANIFEST } }, `repository:${repo}:pull`);
    const body = Buffer.from(await manifest.arrayBuffer());
    if (manifest.status !== 200) throw new Error(`GET ${repo}:v1 manifest -> ${manifest.status}: ${body.toString('utf8', 0, 200)}`);
    if (digestOf(body) !== pushed.digest) throw new Error(`${repo}:v1 came back as ${digestOf(body)}, pushed ${pushed.digest}`);
    for (const digest of image.blobs) {
      const bytes = await pullBlob(registry, repo, digest);
      if (digestOf(bytes) !== digest) throw new Error(`${repo} blob ${digest} came back as ${digestOf(bytes)}`);
    }

    const list = await registry.client.call('GET', `/v2/${repo}/tags/list`, {}, `repository:${repo}:pull`);
    const text = await list.text();
    if (list.status !== 200) throw new Error(`GET ${repo} tags/list -> ${list.status}: ${text.slice(0, 200)}`);
    const tags = JSON.parse(text) as { name?: string; tags?: string[] };
    if (tags.name !== repo || JSON.stringify(tags.tags) !== '["v1"]')
      throw new Error(`${repo} tags/list answered ${text.slice(0, 200)}, expected {"name":"${repo}","tags":["v1"]}`);
  }
  return { detail: `push, pull (manifest and blobs by digest), tags/list: ${images.map((i) => i.repo).join(', ')}`, images };
}
