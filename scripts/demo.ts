// npm run demo [-- --ci]: ASR Deploy's main job on the built-in lab, end to end, as an admin runs it:
// lab up → stand-in installers (TEST FIXTURE) → credentials → discover → trust approve → check →
// plan --appliance → apply → config requests → the stand-in appliance's config files → jobs configure →
// report → serve (the modernized replication appliance, CSPrime). Every step is the real CLI, printed first.
// Interactive: ends with the HTML report's path and a `serve` URL on the lab's inventory; Ctrl-C takes
// the lab down. --ci: unattended; exit 0 only when every host the plan installs ended installed, and no
// lab is left behind. The data directory (a temporary folder with the database, logs and report) is kept.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { labDown, labUnavailableReason, labUp, type LabState } from '../test/lab/lab.ts';

const { values } = parseArgs({ options: { ci: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
if (values.help) {
  console.log('usage: npm run demo [-- --ci]');
  process.exit(0);
}
const ci = values.ci;
const root = resolve(import.meta.dirname, '..');
const BIN = join(root, 'bin/asr-deploy.mjs');
const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);

class DemoFailure extends Error {}

const step = (title: string) => process.stdout.write(`\n== [${secs()} s] ${title}\n`);
const note = (line: string) => process.stdout.write(`   ${line}\n`);

let lab: LabState | undefined;
let serve: ChildProcess | undefined;
let stopping = false;
const home = mkdtempSync(join(tmpdir(), 'asr-demo-'));
const env = {
  ...process.env,
  ASR_DEPLOY_HOME: home,
  ASR_DEPLOY_VAULT_KEY: `demo-${randomBytes(12).toString('hex')}`,
  NO_COLOR: process.env.NO_COLOR ?? (ci ? '1' : undefined),
} as NodeJS.ProcessEnv;

/** Runs `asr-deploy ARGS` with the demo's data directory: output shown live (and kept), exit code checked. */
function asr(args: string[], opts: { expect?: number[]; quietStdout?: boolean } = {}): Promise<{ code: number; stdout: string }> {
  const expectCodes = opts.expect ?? [0];
  process.stdout.write(`$ asr-deploy ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}\n`);
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!opts.quietStdout) process.stdout.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (stopping) return reject(new DemoFailure('stopped'));
      if (!expectCodes.includes(code ?? -1)) return reject(new DemoFailure(`asr-deploy ${args[0]} exited ${code}, expected ${expectCodes.join(' or ')}`));
      done({ code: code ?? -1, stdout });
    });
  });
}

async function json<T>(args: string[]): Promise<T> {
  const r = await asr(['--json', ...args], { quietStdout: true });
  return JSON.parse(r.stdout) as T;
}

/** Ctrl-C (or the end of --ci): stop `serve`, take the lab down, say what is left. */
async function cleanUp(): Promise<void> {
  serve?.kill('SIGTERM');
  if (lab) {
    const id = lab.id;
    lab = undefined;
    process.stdout.write(`\n== taking lab ${id} down\n`);
    await labDown(id);
    note(`lab ${id} is down; nothing of it is left (network namespaces, links, mounts, processes checked)`);
  }
  note(`data directory kept (database, per-host logs, report): ${home}`);
}

process.on('SIGINT', () => {
  if (stopping) return;
  stopping = true;
  cleanUp().then(
    () => process.exit(130),
    (e: unknown) => {
      console.error(`demo: cleaning up failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
});

async function prerequisites(): Promise<void> {
  let why = labUnavailableReason();
  if (why && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    step(`set-up: ${why}: running scripts/setup.sh`);
    const r = spawnSync('bash', [join(root, 'scripts/setup.sh')], { stdio: 'inherit' });
    if (r.status !== 0) throw new DemoFailure('scripts/setup.sh failed');
    why = labUnavailableReason();
  }
  if (why) throw new DemoFailure(`the lab cannot run here: ${why}`);
  if (!existsSync(join(root, 'dist/renderer/index.html'))) {
    step('building the wizard for `serve` (vite build, once)');
    const r = spawnSync(join(root, 'node_modules/.bin/vite'), ['build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], {
      cwd: root,
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new DemoFailure('the wizard could not be built (npm run build)');
  }
}

interface JobDoc {
  id: string;
  status: string;
  outcome: Record<string, number>;
  hosts: { host: string; status: string; version: string | null; action: string | null; error?: { code: string; message: string } }[];
}

async function main(): Promise<number> {
  step(`ASR Deploy demo${ci ? ' (--ci: unattended)' : ''}: data directory ${home}`);
  await prerequisites();

  step('the built-in lab: Linux hosts in network namespaces, each with its own sshd (npm run lab -- up)');
  lab = await labUp({ vcsim: false, pwsh: false, log: (m) => note(`[lab] ${m}`) });
  const hosts = lab.hosts;
  for (const h of hosts)
    note(
      `${h.name.padEnd(11)} ${h.address.padEnd(14)} ${h.profile}${h.etcHostsCorrect ? '' : ' (its /etc/hosts maps its name to another address)'}${h.sftp ? '' : ' (no SFTP)'}`,
    );
  const appliance = lab.appliance?.address;
  if (!appliance) throw new DemoFailure(`the lab's stand-in replication appliance did not start: ${lab.unavailable.appliance ?? 'unknown reason'}`);
  note(`stand-in replication appliance (TEST FIXTURE: answers on 443 and 9443, makes config files): ${appliance}`);
  if (stopping) return 130;

  // The newest Mobility service version of the catalog (versions are listed newest first).
  const components = await json<{ id: string; versions: string[] }[]>(['components', 'list']);
  const version = components.find((c) => c.id === 'mobility-service')?.versions[0];
  if (!version) throw new DemoFailure('the catalog lists no Mobility service version');
  const installers = join(home, 'installers');
  step(`stand-in Mobility service ${version} installers (TEST FIXTURE, not Microsoft's): npm run lab -- installers ${installers} ${version}`);
  const built = spawnSync(process.execPath, [join(root, 'test/lab/cli.ts'), 'installers', installers, version, '--home', home], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new DemoFailure('the stand-in installers could not be made');
  const files = built.stdout.trim().split('\n');
  for (const f of files) note(f);

  step('pin them: no document gives their SHA-256, so unpinned they would be blocked (asr-deploy sources trust FILE…: hash, who, when)');
  await asr(['sources', 'trust', ...files]);
  const scanned = await json<{ file: string; trusted: boolean; pinnedBy?: string | null }[]>(['sources', 'scan', installers]);
  if (!scanned.length || scanned.some((f) => !f.trusted)) throw new DemoFailure('sources scan shows an installer that is not trusted');
  note(`${scanned.length} installer(s) trusted, pinned by ${scanned[0]!.pinnedBy ?? 'unknown'}`);

  step('a credential for the hosts (the lab root key; secrets live AES-256-GCM encrypted in the data directory)');
  await asr(['credentials', 'add', 'lab-root', '--user', 'root', '--key-file', lab.users.root.keyPath]);

  const first = hosts[0]!.address;
  const last = hosts.at(-1)!.address;
  step('discover: probe the lab range for SSH and WinRM, add what answers');
  await asr(['discover', 'network', `${first}-${last}`, '--ports', '22,5986', '--timeout', '2000', '--add', '--credential', 'lab-root', '--tag', 'demo']);

  step('enrol the host keys: the one place a key is accepted (trust approve)');
  await asr(['trust', 'approve', ...hosts.map((h) => h.address)]);

  step(`check: every host against the support matrix of the Mobility service ${version}, reaching the appliance ${appliance} (443, 9443) from the host`);
  const check = await asr(['check', '--component', 'mobility-service', '--version', version, '--hosts', 'tag:demo', '--appliance', appliance], {
    expect: [0, 4],
  });
  if (check.code === 4) note('exit 4: some hosts fail a prerequisite (the lab has such hosts on purpose); the plan blocks them');

  step('plan: what apply would do on each host (changes nothing)');
  const planRun = await asr(
    ['plan', '--component', 'mobility-service', '--version', version, '--source', installers, '--hosts', 'tag:demo', '--appliance', appliance],
    { expect: [0, 4] },
  );
  const planId = /^plan (p-[0-9a-f]+)/m.exec(planRun.stdout)?.[1];
  if (!planId) throw new DemoFailure('plan printed no plan id');
  if (planRun.code === 4) throw new DemoFailure('the plan installs nothing: every host is blocked');

  step("apply: the plan's hosts, 8 at a time, every step journalled (--yes: the demo has read the plan); installed hosts then wait for their config file");
  const applied = await asr(['apply', planId, '--yes'], { expect: [0, 1, 4] });
  const jobId = /^job (j-[0-9a-f-]+)/m.exec(applied.stdout)?.[1];
  if (!jobId) throw new DemoFailure('apply printed no job id');

  const requests = join(home, 'config-requests');
  const configs = join(home, 'config-files');
  step("the replication appliance's config files: each host's Agent Config Input out, the appliance's file back in");
  await asr(['jobs', 'config-requests', jobId, '--out', requests]);
  process.stdout.write(`$ npm run lab -- configs ${requests} --appliance ${appliance} --out ${configs}   # the stand-in appliance (TEST FIXTURE)\n`);
  const made = spawnSync(process.execPath, [join(root, 'test/lab/cli.ts'), 'configs', requests, '--appliance', appliance, '--out', configs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new DemoFailure('the stand-in appliance made no config files');
  for (const f of made.stdout.trim().split('\n')) note(f);
  await asr(['jobs', 'configure', jobId, '--from', configs], { expect: [0, 1, 4] });
  const job = await json<JobDoc>(['jobs', 'show', jobId]);
  const toInstall = job.hosts.filter((h) => h.action === 'install' || h.action === 'upgrade').map((h) => h.host);

  step('report: the job as one self-contained HTML page');
  const report = join(home, 'report.html');
  await asr(['report', jobId, '--format', 'html', '--out', report]);

  step('the wizard in a browser, with the lab inventory loaded (asr-deploy serve)');
  const url = await startServe();
  if (ci) await probeServe(url);

  const missed = toInstall.filter((h) => !['succeeded', 'succeeded_with_warnings'].includes(job.hosts.find((x) => x.host === h)?.status ?? ''));
  step(`done in ${secs()} s: job ${jobId} ${job.status}`);
  note(
    `hosts: ${hosts.length}; planned to install: ${toInstall.length}; ${Object.entries(job.outcome)
      .filter(([, n]) => n)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  for (const h of job.hosts) note(`${h.host.padEnd(11)} ${h.status.padEnd(24)} ${h.version ?? '-'}${h.error ? `  ${h.error.code}: ${h.error.message}` : ''}`);
  note(`HTML report: ${report}`);
  note(`wizard:      ${url}`);
  if (missed.length) note(`NOT installed although planned: ${missed.join(', ')}`);
  if (ci) {
    await cleanUp();
    process.stdout.write(`demo ${missed.length ? 'FAILED' : 'passed'} in ${secs()} s\n`);
    return missed.length ? 1 : 0;
  }
  note(`try more: export ASR_DEPLOY_HOME=${home} ASR_DEPLOY_VAULT_KEY=${env.ASR_DEPLOY_VAULT_KEY}; npx asr-deploy hosts list`);
  note('Ctrl-C takes the lab down.');
  await new Promise(() => undefined);
  return 0;
}

/** `asr-deploy serve` in the background; resolves with the URL it prints. */
function startServe(): Promise<string> {
  process.stdout.write('$ asr-deploy serve\n');
  return new Promise((done, reject) => {
    serve = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    serve.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /https?:\/\/127\.0\.0\.1:\d+\/\S*/.exec(out);
      if (m) done(m[0]);
    });
    serve.on('close', (code) => reject(new DemoFailure(`asr-deploy serve exited ${code}`)));
  });
}

/** --ci: the one-time link answers with the wizard's page. */
async function probeServe(url: string): Promise<void> {
  const r = await fetch(url, { redirect: 'manual' });
  if (r.status >= 400) throw new DemoFailure(`serve answered ${r.status} at ${url}`);
  note(`serve answered ${r.status}`);
}

main().then(
  async (code) => {
    if (!stopping) process.exit(code);
  },
  async (e: unknown) => {
    if (stopping) return;
    console.error(`demo: ${e instanceof DemoFailure ? e.message : (e as Error).stack}`);
    stopping = true;
    await cleanUp().catch((c: unknown) => console.error(`demo: cleaning up failed: ${(c as Error).message}`));
    process.exit(1);
  },
);
