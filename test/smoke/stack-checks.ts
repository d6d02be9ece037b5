/**
 * The smoke checks that read the deployed stack (`--stack NAME --region R`): its outputs, that
 * the host is its CloudFront distribution, names with a `tags` component, events on its bus, and
 * a run of its collector. Each prints one line (PASS, FAIL or SKIP with why) through runSmoke's
 * `check`; without `--stack` the bus and the collector are unknown and those two are skipped.
 */
import { SyntheticPusher } from '../helpers/synthetic-push.js';
import { smokeAws, type SmokeAws } from './aws.js';
import { cloudFrontStep } from './cloudfront-step.js';
import { eventsStep } from './events-step.js';
import { gcStep } from './gc-step.js';
import { Skip, type SmokeImage, type SmokeRegistry } from './step.js';
import { tagsComponentStep } from './tags-step.js';

export type StackCheck = 'stack' | 'cloudfront' | 'tags' | 'events' | 'gc';

export interface StackCheckOptions {
  /** The deployed stack's name (`cdk deploy`'s, `Stowage` by default); its outputs name the bus and the collector. */
  stack?: string;
  /** The stack's region. @default AWS_REGION, AWS_DEFAULT_REGION */
  region?: string;
  /** The outputs, when the caller read them already (scripts/smoke.mjs does when no URL is given). */
  stackOutputs?: Record<string, string>;
  /** AWS calls (tests pass their own). @default smokeAws() with the SDK's default credentials */
  aws?: SmokeAws;
  /** How long the events check waits for each event. @default 120 s */
  eventDeadlineMs?: number;
  /** Pause after the events check's rule is in place. @default 5 s */
  eventSettleMs?: number;
}

export interface StackCheckContext {
  registry: string;
  runId: string;
  credentials: { user: string; password: string } | undefined;
  /** True when the ping saw a challenge and no credentials were given. */
  credentialsMissing: () => boolean;
  check: (name: StackCheck, fn: () => Promise<string>) => Promise<void>;
  /** Images left tagged, for --cleanup. */
  pushed: { repo: string; digest: string }[];
  log: (line: string) => void;
}

export async function runStackChecks(ctx: StackCheckContext, options: StackCheckOptions): Promise<void> {
  const origin = new URL(ctx.registry).origin;
  const registry: SmokeRegistry = { origin, host: new URL(ctx.registry).host, client: new SyntheticPusher(origin, ctx.credentials) };
  let outputs = options.stackOutputs;
  let aws: SmokeAws | undefined;
  const needAws = (): SmokeAws => {
    if (!aws) {
      const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) throw new Error('--stack needs --region (or AWS_REGION)');
      aws = options.aws ?? smokeAws({ region });
    }
    return aws;
  };
  const needRegistryAccess = () => {
    if (ctx.credentialsMissing()) throw new Skip('the registry wants a token: give --user and --password');
  };

  await ctx.check('stack', async () => {
    if (!options.stack) throw new Skip('no --stack: the events and gc checks need its outputs');
    outputs ??= await needAws().stackOutputs(options.stack);
    const missing = ['RegistryHost', 'EventBusName', 'CollectorFunctionName', 'DistributionDomainName'].filter((k) => !outputs?.[k]);
    if (missing.length > 0) throw new Error(`stack ${options.stack} has no output ${missing.join(', ')} (deployed from an older version?)`);
    return `stack ${options.stack} in ${needAws().region}: bus ${outputs.EventBusName}, collector ${outputs.CollectorFunctionName}`;
  });

  await ctx.check('cloudfront', () => cloudFrontStep(ctx.registry, outputs));

  let survivors: SmokeImage[] = [];
  await ctx.check('tags', async () => {
    needRegistryAccess();
    const { detail, images } = await tagsComponentStep(registry, ctx.runId);
    survivors = images;
    ctx.pushed.push(...images.map(({ repo, digest }) => ({ repo, digest })));
    return detail;
  });

  let deleted: SmokeImage | undefined;
  await ctx.check('events', async () => {
    if (!outputs?.EventBusName) throw new Skip('no --stack, so no bus to listen on');
    needRegistryAccess();
    const done = await eventsStep({
      aws: needAws(),
      registry,
      busName: outputs.EventBusName,
      runId: ctx.runId,
      ...(options.eventDeadlineMs !== undefined && { deadlineMs: options.eventDeadlineMs }),
      ...(options.eventSettleMs !== undefined && { settleMs: options.eventSettleMs }),
      log: ctx.log,
    });
    deleted = done.deleted;
    return done.detail;
  });

  await ctx.check('gc', async () => {
    if (!outputs?.CollectorFunctionName) throw new Skip('no --stack, so no collector to invoke');
    needRegistryAccess();
    if (!deleted) {
      // The events check did not run to its delete: delete an image here, so the sweep has one.
      const repo = `smoke/${ctx.runId}/gc`;
      const pushed = await registry.client.pushImage(repo, 'v1');
      const res = await registry.client.call('DELETE', `/v2/${repo}/manifests/${pushed.digest}`, {}, `repository:${repo}:delete`);
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`DELETE ${repo}@${pushed.digest} -> ${res.status}`);
    }
    return (await gcStep({ aws: needAws(), functionName: outputs.CollectorFunctionName, registry, survivors })).detail;
  });
}
