import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_HEAD_CHARS, OUTPUT_TAIL_CHARS } from '../../../src-main/remote/output-capture.ts';
import type { SshTransport } from '../../../src-main/remote/ssh/ssh-transport.ts';
import { getLab } from '../../lab/inject.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { labTransport } from './ssh-lab-helpers.ts';

const { lab, reason } = getLab();
const MB = 1024 * 1024;

describe.skipIf(!lab)(`SSH transport: a command's output is kept bounded (needs the lab: ${reason})`, () => {
  const state = lab as LabState;
  const host = state?.hosts.find((h) => h.sftp) as HostState;
  let root: SshTransport;
  beforeAll(async () => {
    root = labTransport(host, 'root-key').t;
    await root.connect();
  });
  afterAll(async () => {
    await root?.close();
  });

  it('50 MB of stdout and 5 MB of stderr: every chunk streamed, the result capped, the JSON result line still last', async () => {
    let streamed = 0;
    let streamedErr = 0;
    const r = await root.exec(
      ['/bin/sh', '-c', 'head -c 5242880 /dev/zero | tr "\\0" e >&2; head -c 52428800 /dev/zero | tr "\\0" x; echo; echo "{\\"ok\\":true,\\"bytes\\":1}"'],
      { onStdout: (s) => (streamed += s.length), onStderr: (s) => (streamedErr += s.length), timeoutMs: 120_000 },
    );
    expect(r.exitCode).toBe(0);
    // Streaming (the host log) still sees all of it.
    expect(streamed).toBe(50 * MB + 1 + '{"ok":true,"bytes":1}\n'.length);
    expect(streamedErr).toBe(5 * MB);
    const cap = OUTPUT_HEAD_CHARS + OUTPUT_TAIL_CHARS + 200;
    expect(r.stdout.length).toBeLessThan(cap);
    expect(r.stderr.length).toBeLessThan(cap);
    expect(r.stdout).toMatch(/\[asr-deploy: \d+ characters of output dropped here/);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ ok: true, bytes: 1 });
  });
});
