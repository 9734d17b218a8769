import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { fail } from '../../model/errors.ts';
import type { ServiceApi } from '../../service/contract.ts';
import { startServer } from '../../server/server.ts';
import { type CliRuntime, untilStopped } from '../runtime.ts';

/** Where the built renderer is: dist/renderer from the source tree (src-main/cli/commands) or from dist/cli. */
export function findRendererDir(env: NodeJS.ProcessEnv = process.env): string {
  // An explicit ASR_DEPLOY_RENDERER_DIR is the only place looked at: no silent fallback to another build.
  const candidates = env.ASR_DEPLOY_RENDERER_DIR
    ? [env.ASR_DEPLOY_RENDERER_DIR]
    : [fileURLToPath(new URL('../../../dist/renderer', import.meta.url)), fileURLToPath(new URL('../renderer', import.meta.url))];
  const dir = candidates.find((d): d is string => !!d && existsSync(`${d}/index.html`));
  if (!dir)
    fail('not_found', `The wizard is not built (no index.html in ${candidates.join(' or ')}).`, {
      remedy: 'Run `npm run build` first (or point ASR_DEPLOY_RENDERER_DIR at a built renderer).',
    });
  return dir;
}

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail('usage', `--port must be 0-65535, not "${v}".`);
  return n;
};

/** `asr-deploy serve [--port P]`: the wizard on 127.0.0.1 behind a one-time token, until SIGINT/SIGTERM. */
export function registerServe(program: Command, rt: CliRuntime, getService: () => ServiceApi): void {
  program
    .command('serve')
    .description('the wizard in a browser, on 127.0.0.1 only, behind a one-time token printed in the URL')
    .option('--port <port>', 'port to listen on (default: any free port)', port)
    .action(async (o: { port?: number }) => {
      const staticDir = findRendererDir();
      const server = await startServer({ service: getService(), port: o.port, staticDir });
      rt.out.result({ url: server.url, sessionSeconds: Math.floor(server.sessionMs / 1000) }, () => server.url);
      const hours = Math.round((server.sessionMs / 3600_000) * 10) / 10;
      rt.out.info(`Serving the wizard on 127.0.0.1 only; the link works once, in one browser tab, and the session lasts ${hours} h from then. Ctrl+C stops.`);
      await untilStopped(rt.signal);
      await server.close();
    });
}
