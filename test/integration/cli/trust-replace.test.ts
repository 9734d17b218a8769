// Issue 12 item 2 against a real sshd whose host key is regenerated: a bare `trust approve` never
// re-pins a changed key; `--replace` does and shows old and new; several targets are verified
// first and pinned all together or not at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { fault, removeHost } from '../../lab/lab.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { runCli, tempHome } from '../../helpers/cli.ts';
import { scratchHost } from '../remote/ssh-lab-helpers.ts';

const { lab, reason } = getLab();

describe.skipIf(!lab)(`CLI: trust approve and a changed SSH host key (needs the lab: ${reason})`, () => {
  const state = lab as LabState;
  let host: HostState;
  beforeAll(async () => {
    host = await scratchHost(state, 'trust-rekey');
  });
  afterAll(async () => {
    if (host) await removeHost(state, host.name);
  });

  it('a regenerated key is refused by a bare approve, replaced with --replace; a batch with one unreachable target pins nothing', async () => {
    const home = tempHome();
    const target = `${host.address}:22`;
    const first = await runCli(['--json', 'trust', 'approve', target], { home });
    expect(first.code).toBe(0);
    const old = host.hostKeyFingerprint;
    expect(first.json()).toMatchObject([{ host: host.address, fingerprint: old, previous: null }]);

    const r = await fault(state, host, 'rekey');
    const fresh = r.hostKeyFingerprint!;
    expect(fresh).not.toBe(old);

    const bare = await runCli(['--json', 'trust', 'approve', target], { home });
    expect(bare.code).toBe(1);
    const err = (bare.json() as { error: { code: string; remedy: string; details: Record<string, string> } }).error;
    expect(err.code).toBe('host_key_mismatch');
    expect(err.remedy).toContain(`trust approve ${target} --replace`);
    expect(err.details).toMatchObject({ pinned: old, presented: fresh });
    expect((await runCli(['--json', 'trust', 'list'], { home })).json()).toMatchObject([{ fingerprint: old }]);

    // Several targets: the second answers nothing, so the first (even with --replace) is not pinned either.
    const batch = await runCli(['--json', 'trust', 'approve', target, '127.0.0.1:9', '--replace', '--timeout', '1000'], { home });
    expect(batch.code).toBe(1);
    expect((await runCli(['--json', 'trust', 'list'], { home })).json()).toMatchObject([{ fingerprint: old }]);

    const replaced = await runCli(['trust', 'approve', target, '--replace'], { home });
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain(`old ${old}, new ${fresh}`);
    expect((await runCli(['--json', 'trust', 'list'], { home })).json()).toMatchObject([{ fingerprint: fresh }]);
    // Unchanged key: a bare approve is fine (idempotent).
    expect((await runCli(['--json', 'trust', 'approve', target], { home })).code).toBe(0);
  });
});
