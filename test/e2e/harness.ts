import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src-main/server/server.ts';
import { commands, type CommandInput, type CommandName, type CommandOutput, type ServiceApi } from '../../src-main/service/contract.ts';
import { createService } from '../../src-main/service/service.ts';
import { LazyVaultStore } from '../../src-main/store/secrets/vault.ts';
import { openStore, type Store } from '../../src-main/store/store.ts';

/** The wizard in real Chromium against the real service over the loopback server (test-lab.md, Browser). */

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(import.meta.dirname, '../artifacts/e2e');
export const VAULT_KEY = 'e2e-vault-key';
const ROOT = join(import.meta.dirname, '../..');

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (apt-get install -y chromium)`;
}

/** Whether the contract has a command, for it.skipIf with a printed reason. */
export const has = (name: string): boolean => Object.hasOwn(commands, name);
export function needs(...names: string[]): string | null {
  const missing = names.filter((n) => !has(n));
  return missing.length ? `the contract has no ${missing.join(', ')} yet` : null;
}

/** Builds the renderer once per run into a temp folder (a stale dist/ would test old code). */
let built: Promise<string> | undefined;
export function buildRenderer(): Promise<string> {
  built ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'asr-e2e-renderer-'));
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'vite.renderer.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    return outDir;
  })();
  return built;
}

export interface Session {
  home: string;
  store: Store;
  service: ServiceApi;
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  /** CSP violations and page errors seen so far: the wizard must cause none. */
  problems: string[];
  call<N extends CommandName>(name: N, input: CommandInput<N>): Promise<CommandOutput<N>>;
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** `wrap`: put something in front of the real service (a test stands in for what cannot run here, and says so). */
export async function openSession(opts: { home?: string; wrap?: (service: ServiceApi, store: Store) => ServiceApi } = {}): Promise<Session> {
  const staticDir = await buildRenderer();
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'asr-e2e-home-'));
  const store = openStore(home, (db) => new LazyVaultStore(db, () => VAULT_KEY));
  const service = createService(store);
  const server = await startServer({ service: opts.wrap ? opts.wrap(service, store) : service, staticDir });
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'asr-e2e-profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1360, height: 900 },
    acceptDownloads: true,
  });
  const problems: string[] = [];
  // Reports CSP violations as console errors. (Typed by hand: this file is checked without the DOM library.)
  await context.addInitScript(() => {
    type Violation = { violatedDirective: string; blockedURI: string };
    const doc = (globalThis as unknown as { document: { addEventListener(type: string, fn: (e: Violation) => void): void } }).document;
    doc.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(8000);
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    home,
    store,
    service,
    server,
    context,
    page,
    problems,
    async call(name, input) {
      const r = await service.call(name, input);
      if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
      return r.value;
    },
    async shot(name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close().catch(() => undefined);
      await server.close();
      store.close();
    },
  };
}

/** Goes to a step through the sidebar, as a user would, and waits for its heading. */
export async function goStep(page: Page, title: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Wizard steps' })
    .getByRole('button', { name: new RegExp(title) })
    .click();
  await page.getByTestId('step-heading').filter({ hasText: title }).waitFor();
}

/** A CSV inventory: `n` hosts, tagged by rack and role so filters have something to find. */
export function inventoryCsv(n: number, base = 0): string {
  const lines = ['address,name,os,tags'];
  for (let i = 0; i < n; i++) {
    const k = base + i;
    const os = k % 3 === 0 ? 'windows' : 'linux';
    lines.push(
      `10.${20 + Math.floor(k / 65025)}.${Math.floor(k / 255) % 255}.${(k % 255) + 1},srv-${String(k).padStart(5, '0')},${os},rack-${k % 40};${k % 7 === 0 ? 'web' : 'db'}`,
    );
  }
  return lines.join('\n') + '\n';
}
