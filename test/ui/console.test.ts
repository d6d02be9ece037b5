/**
 * The web console in a real browser (Debian's headless chromium via playwright-core) against a
 * real `stowage serve --auth local` with a policy: images pushed over HTTP (an image with two
 * layers, an index of two platforms, a signature and an SBOM referring to the image), a reader
 * who may pull but not delete, an admin who may delete, and a public repository anonymous may pull.
 * axe-core checks every page; the phone-width check runs at 375 px.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { runCli, serveChild, type ServedChild } from '../helpers/serve-child.js';
import { requireTools } from '../helpers/tools.js';
import { SyntheticPusher, type Descriptor } from '../helpers/synthetic-push.js';
import { assertAccessible, assertNoSideScroll, launchChromium, screenshot } from './browser.js';

const POLICY = `version: 1
anonymous:
  pull: ["public/**"]
rules:
  - principals: { users: [admin] }
    repositories: ["**"]
    actions: ["*"]
  - principals: { users: [reader] }
    repositories: ["**"]
    actions: [pull, catalog]
`;

const USERS = { admin: 'admin-password-1', reader: 'reader-password-1' } as const;
const SIGNATURE_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SBOM_TYPE = 'application/spdx+json';

describe('web console', { skip: requireTools('chromium') }, () => {
  let dir: string;
  let server: ServedChild;
  let url: string;
  let browser: Browser;
  let image: Descriptor & { layers: Descriptor[] };
  let index: Descriptor;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-ui-'));
    const data = join(dir, 'data');
    const policy = join(dir, 'policy.yaml');
    await writeFile(policy, POLICY);
    for (const [user, password] of Object.entries(USERS)) {
      const added = await runCli(['user', 'add', user, '--data-dir', data], `${password}\n`);
      assert.equal(added.code, 0, added.stderr);
    }
    server = await serveChild(['--port', '0', '--data-dir', data, '--auth', 'local', '--policy', policy], { PATH: process.env.PATH }, 60_000);
    assert.ok(server.url, `the server did not start: ${server.output()}`);
    url = server.url;

    const push = new SyntheticPusher(url, { user: 'admin', password: USERS.admin });
    image = await push.pushImage('team/app', '1.0', {
      layers: [3000, 70_000],
      labels: { 'org.opencontainers.image.source': 'https://example.com/app' },
      env: ['PATH=/bin', 'APP_MODE=production'],
    });
    await push.pushImage('team/app', '1.1', { layers: [1000], created: '2026-02-01T00:00:00Z' });
    await push.pushImage('team/app', '2.0', { layers: [1500], created: '2026-03-01T00:00:00Z' });
    const amd64 = await push.pushImage('team/app', undefined, { architecture: 'amd64' });
    const arm64 = await push.pushImage('team/app', undefined, { architecture: 'arm64' });
    index = await push.pushIndex('team/app', 'multi', [amd64, arm64]);
    await push.pushReferrer('team/app', image, SIGNATURE_TYPE, '{"critical":{"type":"cosign container image signature"}}', 'application/vnd.dev.cosign.simplesigning.v1+json');
    await push.pushReferrer('team/app', image, SBOM_TYPE, '{"spdxVersion":"SPDX-2.3"}', SBOM_TYPE);
    await push.pushImage('public/hello', 'latest', { layers: [500] });
    // One manifest under 30 tags: more than one page of the tags list.
    const many = await push.pushImage('team/many', 'tag-00', { layers: [100] });
    const body = JSON.stringify({ schemaVersion: 2, mediaType: many.mediaType, config: many.config, layers: many.layers });
    for (let i = 1; i < 30; i++) await push.pushManifest('team/many', `tag-${String(i).padStart(2, '0')}`, JSON.parse(body));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(viewport = { width: 1200, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ baseURL: url, viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    return { context, page };
  }

  async function signIn(page: Page, user: keyof typeof USERS): Promise<void> {
    await page.goto('/ui/');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(USERS[user]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${user}`).waitFor();
  }

  test('the server serves the console at /ui/ and sends / there', async () => {
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/ui/');
    const deep = await fetch(`${url}/ui/r/team/app/-/manifest/1.0`);
    assert.equal(deep.status, 200, 'a console route gets the app, so a reload works');
    assert.match(deep.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(deep.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });

  test('a wrong password is refused on the sign-in page', async () => {
    const { context, page } = await open();
    try {
      await page.goto('/ui/sign-in');
      await page.getByLabel('User name').fill('reader');
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').getByText('Wrong user name or password.').waitFor();
      await assertAccessible(page, 'the sign-in page with an error');
      await screenshot(page, 'sign-in');
    } finally {
      await context.close();
    }
  });

  test('anonymous: no listing, the public repository by name, nothing private', async () => {
    const { context, page } = await open();
    try {
      await page.goto('/ui/');
      await page.getByText('You may not list the repositories here without signing in').waitFor();
      await assertAccessible(page, 'repositories (anonymous)');
      await page.getByLabel('Open a repository by name').fill('public/hello');
      await page.getByRole('button', { name: 'Open' }).click();
      await page.getByRole('link', { name: 'latest', exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0, 'anonymous may not delete');
      await page.goto('/ui/r/team/app');
      await page.getByText(/Not allowed/).waitFor();
      assert.equal(await page.getByRole('link', { name: '1.0', exact: true }).count(), 0, 'no private tag is shown');
    } finally {
      await context.close();
    }
  });

  test('a reader sees repositories, tags, layers, config, platforms and referrers, and no delete control', async () => {
    const { context, page } = await open();
    try {
      await signIn(page, 'reader');
      const repos = page.getByRole('region', { name: 'Repositories' });
      await repos.getByRole('link', { name: 'team/app' }).waitFor();
      await repos.getByRole('link', { name: 'public/hello' }).waitFor();
      await page.getByText('3 repositories').waitFor();
      await page.getByLabel('Filter').fill('team/');
      await page.getByText('3 repositories, 2 shown').waitFor();
      await assertAccessible(page, 'repositories');
      await screenshot(page, 'repositories');

      await repos.getByRole('link', { name: 'team/app' }).click();
      const tags = page.getByRole('region', { name: 'Tags' });
      for (const tag of ['1.0', '1.1', 'multi']) await tags.getByRole('link', { name: tag, exact: true }).waitFor();
      await tags.getByRole('row', { name: /multi/ }).getByText('linux/amd64, linux/arm64').waitFor();
      // Push time from the images route (the image config says 2026-01-02: not what is shown).
      const today = new Date().toISOString().slice(0, 10);
      await tags
        .getByRole('row', { name: /^1\.0/ })
        .getByText(new RegExp(`^${today} \\d{2}:\\d{2}Z$`))
        .waitFor();
      assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0, 'the reader holds no delete scope');
      await assertAccessible(page, 'tags');
      await screenshot(page, 'tags');

      await tags.getByRole('link', { name: '1.0', exact: true }).click();
      await page.getByText(image.digest, { exact: true }).waitFor();
      const layers = page.getByRole('region', { name: 'Layers' });
      for (const layer of image.layers) await layers.getByTitle(layer.digest).waitFor();
      await layers.getByText('68 KB').waitFor();
      await layers.getByText('oci.image.layer.v1.tar+gzip').first().waitFor();
      await page.getByText('APP_MODE=production').waitFor();
      await page.getByText('https://example.com/app').waitFor();
      await page.getByText('COPY layer-2 /').waitFor();
      const tree = page.locator('ul.tree');
      await tree.getByText(SIGNATURE_TYPE).waitFor();
      await tree.getByText(SBOM_TYPE).waitFor();
      await tree.getByText('signature', { exact: true }).waitFor();
      await tree.getByText('SBOM', { exact: true }).waitFor();
      await page.getByText(`docker pull ${new URL(url).host}/team/app:1.0`).waitFor();
      assert.equal(await page.getByRole('button', { name: /^Delete manifest/ }).count(), 0);
      await assertAccessible(page, 'an image manifest');
      await screenshot(page, 'manifest');

      await page.goto('/ui/r/team/app/-/manifest/multi');
      const platforms = page.getByRole('region', { name: 'Platforms' });
      await platforms.getByText('linux/amd64').waitFor();
      await platforms.getByText('linux/arm64').waitFor();
      await page.getByText(index.digest, { exact: true }).waitFor();
      await assertAccessible(page, 'an index');
      await screenshot(page, 'index');
      await platforms
        .getByRole('row', { name: /linux\/arm64/ })
        .getByRole('link')
        .click();
      await page.getByRole('heading', { name: 'Config' }).waitFor();
      await page.getByText('linux/arm64').waitFor();
    } finally {
      await context.close();
    }
  });

  test('thousands of tags are paged: the tags list in pages of 25, the next page from the Link header', async () => {
    const { context, page } = await open();
    try {
      await signIn(page, 'reader');
      await page.goto('/ui/r/team/many');
      const tags = page.getByRole('region', { name: 'Tags' });
      await tags.getByRole('link', { name: 'tag-24', exact: true }).waitFor();
      assert.equal(await tags.getByRole('row').count(), 26, 'a header row and 25 tags');
      await page.getByRole('link', { name: 'Next page' }).click();
      await tags.getByRole('link', { name: 'tag-29', exact: true }).waitFor();
      assert.equal(await tags.getByRole('row').count(), 6, 'a header row and the last 5 tags');
      assert.equal(await page.getByRole('link', { name: 'Next page' }).count(), 0);
      assert.match(page.url(), /\/ui\/r\/team\/many\?last=tag-24$/);
    } finally {
      await context.close();
    }
  });

  test('an admin deletes a tag after a confirmation naming it, and the tag is gone', async () => {
    const { context, page } = await open();
    try {
      await signIn(page, 'admin');
      await page.goto('/ui/r/team/app');
      const tags = page.getByRole('region', { name: 'Tags' });
      await tags.getByRole('link', { name: '1.1', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Delete tag 1.1' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete tag 1.1?' });
      await dialog.getByText('team/app:1.1').waitFor();
      await assertAccessible(page, 'the delete confirmation');
      await screenshot(page, 'delete-tag');
      // Keyboard: the dialog holds the focus, and Escape cancels it.
      assert.equal(await dialog.locator(':focus').count(), 1, 'the focus is inside the dialog');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await tags.getByRole('link', { name: '1.1', exact: true }).count(), 1, 'cancel deletes nothing');

      await page.getByRole('button', { name: 'Delete tag 1.1' }).click();
      await dialog.getByRole('button', { name: 'Delete tag 1.1' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await tags.getByRole('link', { name: '1.0', exact: true }).waitFor();
      assert.equal(await tags.getByRole('link', { name: '1.1', exact: true }).count(), 0, 'the deleted tag is no longer listed');

      const reader = new SyntheticPusher(url, { user: 'reader', password: USERS.reader });
      const list = await reader.call('GET', '/v2/team/app/tags/list', {}, 'repository:team/app:pull');
      assert.deepEqual(((await list.json()) as { tags: string[] }).tags.sort(), ['1.0', '2.0', 'multi'], 'the registry itself no longer has the tag');

      // A manifest, from its page: the confirmation names the digest, then the manifest and its tag are gone.
      await tags.getByRole('link', { name: '2.0', exact: true }).click();
      const digest = (await page.locator('code.digest').first().textContent())!;
      await page.getByRole('button', { name: /^Delete manifest sha256:/ }).click();
      const confirm = page.getByRole('dialog', { name: /^Delete manifest/ });
      await confirm.getByText(`team/app@${digest}`).waitFor();
      await confirm.getByRole('button', { name: 'Delete manifest' }).click();
      await page.getByRole('heading', { name: 'team/app', exact: true }).waitFor();
      await tags.getByRole('link', { name: '1.0', exact: true }).waitFor();
      assert.equal(await tags.getByRole('link', { name: '2.0', exact: true }).count(), 0, "the manifest's tag went with it");
      assert.equal((await reader.call('GET', `/v2/team/app/manifests/${digest}`, {}, 'repository:team/app:pull')).status, 404, 'the manifest is gone from the registry');
    } finally {
      await context.close();
    }
  });

  test('a delete the registry refuses is shown in the dialog, not hidden', async () => {
    const { context, page } = await open();
    try {
      await signIn(page, 'admin');
      await page.goto('/ui/r/team/app');
      await page.getByRole('button', { name: 'Delete tag multi' }).click();
      // The tag goes away behind the page's back: the registry answers 404 MANIFEST_UNKNOWN.
      const admin = new SyntheticPusher(url, { user: 'admin', password: USERS.admin });
      assert.equal((await admin.call('DELETE', '/v2/team/app/manifests/multi', {}, 'repository:team/app:delete')).status, 202);
      const dialog = page.getByRole('dialog', { name: 'Delete tag multi?' });
      await dialog.getByRole('button', { name: 'Delete tag multi' }).click();
      await dialog.getByRole('alert').waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
    } finally {
      await context.close();
    }
  });

  test('at phone width (375 px) no page scrolls sideways', async () => {
    const { context, page } = await open({ width: 375, height: 800 });
    try {
      await signIn(page, 'reader');
      await assertNoSideScroll(page, 'repositories');
      for (const [path, ready] of [
        ['/ui/r/team/app', 'Lifecycle preview'],
        ['/ui/r/team/app/-/manifest/1.0', 'Raw JSON'],
        ['/ui/r/team/app/-/lifecycle', 'Lifecycle preview of team/app'],
      ] as const) {
        await page.goto(path);
        await page.getByText(ready).first().waitFor();
        await page
          .getByText(/Loading/)
          .first()
          .waitFor({ state: 'hidden' });
        await assertNoSideScroll(page, path);
        await assertAccessible(page, `${path} at 375 px`);
      }
    } finally {
      await context.close();
    }
  });

  // The admin routes of the lifecycle issue (usage, images, lifecycle preview) are built on
  // another branch: the pages say "not available on this server" until they are merged. These
  // tests run the full check when the route answers, and otherwise check the graceful message.
  async function routeAnswers(path: string): Promise<boolean> {
    const admin = new SyntheticPusher(url, { user: 'admin', password: USERS.admin });
    return (await admin.call('GET', path, {}, path.includes('usage') ? 'registry:catalog:*' : 'repository:team/app:pull')).status !== 404;
  }

  test('lifecycle preview page: the preview, or "not available on this server"', async () => {
    const { context, page } = await open();
    try {
      await signIn(page, 'reader');
      await page.goto('/ui/r/team/app/-/lifecycle');
      await page.getByRole('heading', { name: 'Lifecycle preview of team/app' }).waitFor();
      if (await routeAnswers('/v2/_stowage/lifecycle-preview?repository=team/app')) {
        await page.getByText(/Nothing would expire|would expire/).waitFor();
      } else {
        await page.getByText('Lifecycle preview: not available on this server.').waitFor();
      }
      await assertAccessible(page, 'lifecycle preview');
      await screenshot(page, 'lifecycle');
    } finally {
      await context.close();
    }
  });

  test('repositories page without the usage route still lists, and says counts are not available', async (t) => {
    if (await routeAnswers('/v2/_stowage/usage')) {
      t.skip('the usage route answers on this server: see the next test');
      return;
    }
    const { context, page } = await open();
    try {
      await signIn(page, 'reader');
      await page.getByText('Storage used and counts: not available on this server.').waitFor();
      await page.getByRole('region', { name: 'Repositories' }).getByRole('link', { name: 'team/app' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('repositories page shows tag counts and storage from the usage route', async (t) => {
    if (!(await routeAnswers('/v2/_stowage/usage'))) {
      t.skip('GET /v2/_stowage/usage answers 404 on this server: the admin routes (issue 10) are not merged yet');
      return;
    }
    const { context, page } = await open();
    try {
      await signIn(page, 'reader');
      const row = page.getByRole('region', { name: 'Repositories' }).getByRole('row', { name: /public\/hello/ });
      await row.getByRole('cell', { name: '1', exact: true }).first().waitFor();
      await page.getByText(/stored$/).waitFor();
    } finally {
      await context.close();
    }
  });

  test('tags page shows push times from the images route', async (t) => {
    if (!(await routeAnswers('/v2/_stowage/images?repository=team/app'))) {
      t.skip('GET /v2/_stowage/images answers 404 on this server: the admin routes (issue 10) are not merged yet');
      return;
    }
    const { context, page } = await open();
    try {
      await signIn(page, 'reader');
      await page.goto('/ui/r/team/app');
      await page.getByRole('columnheader', { name: 'Pushed' }).waitFor();
      const year = String(new Date().getUTCFullYear());
      await page
        .getByRole('region', { name: 'Tags' })
        .getByRole('row', { name: /^1\.0/ })
        .getByText(new RegExp(`^${year}-`))
        .waitFor();
    } finally {
      await context.close();
    }
  });
});
