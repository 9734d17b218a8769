/** @vitest-environment node */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./mocks/electron.ts'));
const { serveAppRequest } = await import('../../../src-main/electron/app-protocol.ts');
const { CSP } = await import('../../../src-main/electron/security.ts');

const root = mkdtempSync(join(tmpdir(), 'asr-renderer-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>ASR Deploy</title>');
writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(root, '..', 'secret.txt'), 'do not serve');

describe('app:// protocol', () => {
  it('serves the renderer with the CSP and the right types', async () => {
    const r = await serveAppRequest(root, { url: 'app://asr-deploy/index.html', method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toBe(CSP);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await r.text()).toContain('ASR Deploy');
    const js = await serveAppRequest(root, { url: 'app://asr-deploy/assets/app.js' });
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await serveAppRequest(root, { url: 'app://asr-deploy/' })).status).toBe(200);
  });

  it('never serves outside the renderer folder, another host, or another method', async () => {
    for (const url of [
      'app://asr-deploy/../secret.txt',
      'app://asr-deploy/%2e%2e/secret.txt',
      'app://asr-deploy/assets/..%2f..%2fsecret.txt',
      'app://asr-deploy/%00',
      'app://other/index.html',
      'app://asr-deploy/nope.js',
    ]) {
      expect((await serveAppRequest(root, { url })).status, url).toBe(404);
    }
    expect((await serveAppRequest(root, { url: 'app://asr-deploy/index.html', method: 'POST' })).status).toBe(404);
  });
});
