// The lab's own tests: every host is what its state says, the fault switches do what they say,
// the simulator, proxy and PowerShell remoting answer, and `down` leaves nothing behind.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { httpOverSocket, pinnedTls, proxyConnect, sftp, sshConnect, sshExec, sshRun, tcpOutcome } from '../../lab/client.ts';
import { addHost, downStale, fault, isLabAlive, labDown, labLeftovers, labUp, removeHost, readLabState } from '../../lab/lab.ts';
import { PROFILES } from '../../lab/profiles.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { allProcs, nodeBinary, run, sleep, waitFor, LAB_DIR } from '../../lab/util.ts';

const { lab, reason } = getLab();
const L = lab as LabState;
const hosts = lab?.hosts ?? [];

describe.skipIf(!lab)(`lab hosts (needs the lab: ${reason})`, () => {
  it('has the default hosts with the documented odd ones out', () => {
    expect(hosts.length).toBeGreaterThanOrEqual(5);
    expect(new Set(hosts.map((h) => h.profile))).toEqual(new Set(Object.keys(PROFILES)));
    expect(hosts.filter((h) => !h.etcHostsCorrect).length).toBe(1);
    expect(hosts.filter((h) => h.nonEnglishName).length).toBe(1);
    expect(hosts.filter((h) => !h.sftp).length).toBe(1);
    expect(new Set(hosts.map((h) => h.hostname)).size).toBe(hosts.length);
    expect(new Set(hosts.map((h) => h.address)).size).toBe(hosts.length);
  });

  describe.each(hosts.map((h) => [h.name, h] as [string, HostState]))('%s', (_name, h) => {
    const profile = PROFILES[h.profile];

    it('root logs in with the key; the server presents the recorded host key; own release file and host name', async () => {
      const primary = profile.primaryReleaseFile;
      const r = await sshRun(h, { user: L.users.root }, `hostname; echo ---; cat ${primary}; echo ---; cat /etc/hostname`);
      expect(r.presented).toBe(h.hostKeyFingerprint);
      expect(r.code).toBe(0);
      const [hn, release, etcHostname] = r.stdout.split('---\n');
      expect(hn?.trim()).toBe(h.hostname);
      expect(release).toBe(h.releaseFiles[primary]);
      expect(etcHostname?.trim()).toBe(h.hostname);
    });

    it('hides what its distribution does not have and keeps its own /etc/hosts', async () => {
      const checks = h.hiddenFiles.map((f) => `test -e ${f} && echo "present ${f}" || echo "absent ${f}"`).join('; ');
      const r = await sshRun(h, { user: L.users.root }, `${checks || 'true'}; getent hosts "$(hostname)" | cut -d' ' -f1`);
      for (const f of h.hiddenFiles) expect(r.stdout).toContain(`absent ${f}`);
      const lines = r.stdout.trim().split('\n');
      expect(lines[lines.length - 1]?.trim()).toBe(h.etcHostsAddress);
      expect(h.etcHostsAddress === h.address).toBe(h.etcHostsCorrect);
      // The key fingerprint in the state is what ssh-keygen prints for the host's public key.
      const kg = await run('ssh-keygen', ['-lf', `${h.dir}/ssh_host_ed25519_key.pub`]);
      expect(kg.stdout.split(' ')[1]).toBe(h.hostKeyFingerprint);
    });

    it(h.sftp ? 'offers SFTP' : 'refuses SFTP', async () => {
      const s = await sshConnect(h, { user: L.users.root });
      try {
        if (h.sftp) {
          const sf = await sftp(s.client);
          const list = await new Promise<string[]>((res, rej) => sf.readdir('/etc', (e, l) => (e ? rej(e) : res(l.map((x) => x.filename)))));
          expect(list).toContain('passwd');
        } else {
          await expect(sftp(s.client)).rejects.toThrow();
        }
      } finally {
        s.client.end();
      }
    });
  });
});

describe.skipIf(!lab)(`lab accounts and isolation (needs the lab: ${reason})`, () => {
  const h = () => hosts.find((x) => x.profile === 'rhel-8.6') ?? (hosts[0] as HostState);

  it('asrlab-admin: password login, sudo asks for the password and accepts it on stdin', async () => {
    const s = await sshConnect(h(), { user: L.users.admin, usePassword: true });
    try {
      const noPw = await sshExec(s.client, 'sudo -n true');
      expect(noPw.code).not.toBe(0);
      expect(noPw.stderr).toMatch(/password is required/);
      const ok = await sshExec(s.client, "sudo -S -p '' id -u", `${L.users.admin.password}\n`);
      expect(ok.stdout.trim()).toBe('0');
      const bad = await sshExec(s.client, "sudo -S -p '' id -u", 'wrong-password\n');
      expect(bad.code).not.toBe(0);
    } finally {
      s.client.end();
    }
  });

  it('asrlab-admin: the passphrase-protected OpenSSH key logs in', async () => {
    expect(readFileSync(L.users.admin.keyPath as string, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
    const r = await sshRun(h(), { user: L.users.admin }, 'id -un');
    expect(r.stdout.trim()).toBe('asrlab-admin');
  });

  it('asrlab-nopw: NOPASSWD sudo (key and password logins)', async () => {
    const r = await sshRun(h(), { user: L.users.nopw }, 'sudo -n id -u');
    expect(r.stdout.trim()).toBe('0');
    const p = await sshRun(h(), { user: L.users.nopw, usePassword: true }, 'id -un');
    expect(p.stdout.trim()).toBe('asrlab-nopw');
  });

  it('a wrong password is refused', async () => {
    await expect(sshConnect(h(), { user: { ...L.users.nopw, password: 'not-the-password' }, usePassword: true })).rejects.toThrow(/authentication/i);
  });

  it('a process started on host A is not visible on host B (own PID namespaces, /tmp and hostname)', async () => {
    const [a, b] = hosts as [HostState, HostState];
    const marker = `lab-isolation-${Date.now()}`;
    await sshRun(a, { user: L.users.root }, `setsid bash -c 'exec -a ${marker} sleep 300' >/dev/null 2>&1 < /dev/null & echo ${marker} > /tmp/${marker}`);
    try {
      const onA = await sshRun(a, { user: L.users.root }, `ps -eo args= | grep -q '^${marker} 300' && echo seen; test -e /tmp/${marker} && echo file`);
      expect(onA.stdout).toContain('seen');
      expect(onA.stdout).toContain('file');
      const onB = await sshRun(
        b,
        { user: L.users.root },
        `ps -eo args= | grep -q '^${marker} 300' && echo seen; test -e /tmp/${marker} && echo file; ps -e | wc -l`,
      );
      expect(onB.stdout).not.toContain('seen');
      expect(onB.stdout).not.toContain('file');
      expect(Number(onB.stdout.trim().split('\n').pop())).toBeLessThan(20);
    } finally {
      await sshRun(a, { user: L.users.root }, `pkill -f '^${marker} 300'; rm -f /tmp/${marker}`);
    }
  });
});

describe.skipIf(!lab)(`lab fault switches on a scratch host (needs the lab: ${reason})`, () => {
  let h: HostState;
  beforeAll(async () => {
    h = await addHost(L, { profile: 'rhel-8.6' });
  });
  afterAll(async () => {
    if (h) await removeHost(L, h.name);
  });

  it('sshd-stop gives ECONNREFUSED, sshd-start brings it back', async () => {
    await fault(L, h.name, 'sshd-stop');
    expect(await tcpOutcome(h.address, 22, 2000)).toBe('ECONNREFUSED');
    await fault(L, h.name, 'sshd-start');
    expect((await sshRun(h, { user: L.users.root }, 'hostname')).stdout.trim()).toBe(h.hostname);
  });

  it('drop-22 makes the TCP handshake time out; undrop-22 restores it', async () => {
    await fault(L, h.name, 'drop-22');
    try {
      const t = Date.now();
      expect(await tcpOutcome(h.address, 22, 1500)).toBe('timeout');
      expect(Date.now() - t).toBeGreaterThanOrEqual(1400);
      await expect(sshConnect(h, { user: L.users.root, readyTimeoutMs: 1500 })).rejects.toThrow(/timed out/i);
    } finally {
      await fault(L, h.name, 'undrop-22');
    }
    expect(await tcpOutcome(h.address, 22, 2000)).toBe('connected');
  });

  it('disk-full: writing 4 MiB into the staging dirs fails with ENOSPC; disk-free fixes it', async () => {
    const r = await fault(L, h.name, 'disk-full');
    expect(r.detail).toMatch(/2 MiB/);
    try {
      for (const dir of L.diskFullPaths) {
        const w = await sshRun(h, { user: L.users.root }, `mkdir -p ${dir}/asr-stage 2>&1; head -c 4194304 /dev/zero > ${dir}/asr-stage.bin`);
        expect(w.code, dir).not.toBe(0);
        expect(w.stderr, dir).toMatch(/No space left on device/);
      }
      // SFTP sees the same full disk.
      const s = await sshConnect(h, { user: L.users.root });
      try {
        const sf = await sftp(s.client);
        const err = await new Promise<Error | undefined>((res) => sf.writeFile('/tmp/asr-sftp.bin', Buffer.alloc(4 << 20), (e) => res(e ?? undefined)));
        expect(err).toBeDefined();
      } finally {
        s.client.end();
      }
    } finally {
      await fault(L, h.name, 'disk-free');
    }
    const ok = await sshRun(
      h,
      { user: L.users.root },
      'head -c 4194304 /dev/zero > /tmp/asr-stage.bin && stat -c %s /tmp/asr-stage.bin && rm /tmp/asr-stage.bin',
    );
    expect(ok.stdout.trim()).toBe('4194304');
  });

  it('rekey: the server presents a new key; the old pin is refused', async () => {
    const before = h.hostKeyFingerprint;
    const r = await fault(L, h.name, 'rekey');
    expect(r.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(r.hostKeyFingerprint).not.toBe(before);
    await expect(sshConnect(h, { user: L.users.root, fingerprint: before })).rejects.toThrow(/host key mismatch|verification/i);
    const ok = await sshRun(h, { user: L.users.root, fingerprint: r.hostKeyFingerprint }, 'true');
    expect(ok.presented).toBe(r.hostKeyFingerprint);
    h = { ...h, hostKeyFingerprint: r.hostKeyFingerprint };
    // known_hosts follows, so OpenSSH with StrictHostKeyChecking=yes accepts the host.
    const o = await run(
      'ssh',
      [
        '-i',
        L.users.root.keyPath as string,
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${L.knownHostsPath}`,
        `root@${h.address}`,
        'hostname',
      ],
      { allowFail: true },
    );
    expect(o.stdout.trim()).toBe(h.hostname);
  });

  it('hang stops an in-flight command from answering; unhang lets it finish', async () => {
    const s = await sshConnect(h, { user: L.users.root });
    try {
      let seen = '';
      let first!: () => void;
      const gotFirst = new Promise<void>((r) => (first = r));
      const done = sshExec(s.client, 'for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 0.2; done', undefined, (c) => {
        seen += c;
        first();
      });
      await gotFirst;
      await fault(L, h.name, 'hang');
      // Bytes already on the wire when the processes stopped still arrive: let them drain first.
      await sleep(500);
      const atHang = seen;
      await sleep(1500);
      expect(seen).toBe(atHang); // nothing arrived while hung
      expect(await tcpOutcome(h.address, 22, 1000)).toBe('connected'); // TCP is still up
      await fault(L, h.name, 'unhang');
      const r = await done;
      expect(r.stdout.trim().split('\n').pop()).toBe('8');
    } finally {
      await fault(L, h.name, 'unhang');
      s.client.end();
    }
  });
});

// ------------------------------------------------------------------ vCenter simulator

function soap(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:vim25="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

async function vimCall(body: string, cookie?: string): Promise<{ status: number; body: string; cookie?: string }> {
  const v = L.vcsim!;
  const u = new URL(v.url);
  const sock = await pinnedTls(u.hostname, Number(u.port), v.fingerprintSha256);
  const headers: Record<string, string> = { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"urn:vim25/6.5"' };
  if (cookie) headers.Cookie = cookie;
  const r = await httpOverSocket(sock, 'POST', u.host, u.pathname, headers, soap(body));
  const set = r.headers['set-cookie'];
  return { status: r.status, body: r.body, cookie: set ? set.split(';')[0] : undefined };
}

const xmlEsc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}[^>]*>([^<]*)</${name}>`).exec(xml)?.[1];

describe.skipIf(!lab?.vcsim)(`vCenter simulator (needs the lab's vcsim: ${lab ? (lab.unavailable.vcsim ?? 'ok') : reason})`, () => {
  it('answers RetrieveServiceContent over HTTPS with the pinned certificate', async () => {
    expect(L.vcsim!.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    const r = await vimCall('<vim25:RetrieveServiceContent><vim25:_this type="ServiceInstance">ServiceInstance</vim25:_this></vim25:RetrieveServiceContent>');
    expect(r.status).toBe(200);
    expect(tag(r.body, 'apiVersion')).toMatch(/^\d/);
    expect(tag(r.body, 'sessionManager')).toBeTruthy();
  });

  it('refuses a different certificate pin', async () => {
    const u = new URL(L.vcsim!.url);
    await expect(pinnedTls(u.hostname, Number(u.port), '0'.repeat(64))).rejects.toThrow(/pin mismatch/);
  });

  it('Login: the right password opens a session and discovery finds the lab addresses; a wrong one gives InvalidLogin', async () => {
    const v = L.vcsim!;
    const sc = (await vimCall('<vim25:RetrieveServiceContent><vim25:_this type="ServiceInstance">ServiceInstance</vim25:_this></vim25:RetrieveServiceContent>'))
      .body;
    const sm = tag(sc, 'sessionManager') as string;
    const bad = await vimCall(
      `<vim25:Login><vim25:_this type="SessionManager">${sm}</vim25:_this><vim25:userName>${xmlEsc(v.user)}</vim25:userName><vim25:password>wrong</vim25:password></vim25:Login>`,
    );
    expect(bad.status).toBe(500);
    expect(bad.body).toMatch(/InvalidLogin/);
    const ok = await vimCall(
      `<vim25:Login><vim25:_this type="SessionManager">${sm}</vim25:_this><vim25:userName>${xmlEsc(v.user)}</vim25:userName><vim25:password>${xmlEsc(v.password)}</vim25:password></vim25:Login>`,
    );
    expect(ok.status).toBe(200);
    expect(tag(ok.body, 'userName')).toBe(v.user);
    expect(ok.cookie).toBeTruthy();

    const view = await vimCall(
      `<vim25:CreateContainerView><vim25:_this type="ViewManager">${tag(sc, 'viewManager')}</vim25:_this><vim25:container type="Folder">${tag(sc, 'rootFolder')}</vim25:container><vim25:type>VirtualMachine</vim25:type><vim25:recursive>true</vim25:recursive></vim25:CreateContainerView>`,
      ok.cookie,
    );
    expect(view.status).toBe(200);
    const viewId = tag(view.body, 'returnval') as string;
    const props = await vimCall(
      `<vim25:RetrievePropertiesEx><vim25:_this type="PropertyCollector">${tag(sc, 'propertyCollector')}</vim25:_this><vim25:specSet>` +
        `<vim25:propSet><vim25:type>VirtualMachine</vim25:type><vim25:pathSet>name</vim25:pathSet><vim25:pathSet>guest.ipAddress</vim25:pathSet><vim25:pathSet>guest.hostName</vim25:pathSet><vim25:pathSet>runtime.powerState</vim25:pathSet><vim25:pathSet>config.guestFullName</vim25:pathSet></vim25:propSet>` +
        `<vim25:objectSet><vim25:obj type="ContainerView">${viewId}</vim25:obj><vim25:skip>true</vim25:skip><vim25:selectSet xsi:type="vim25:TraversalSpec"><vim25:name>view</vim25:name><vim25:type>ContainerView</vim25:type><vim25:path>view</vim25:path><vim25:skip>false</vim25:skip></vim25:selectSet></vim25:objectSet>` +
        `</vim25:specSet><vim25:options><vim25:maxObjects>10000</vim25:maxObjects></vim25:options></vim25:RetrievePropertiesEx>`,
      ok.cookie,
    );
    expect(props.status).toBe(200);
    expect(props.body.match(/<objects>/g)?.length).toBe(v.vmCount);
    for (const h of hosts) expect(props.body).toContain(`>${h.address}<`);
    expect(props.body).toContain('poweredOff');
    expect(props.body).toMatch(/Windows/);
    expect(props.body).toMatch(/Linux/);
  });
});

// ------------------------------------------------------------------ proxy

describe.skipIf(!lab?.proxy)(`HTTP proxy (needs the lab's squid: ${lab ? (lab.unavailable.proxy ?? 'ok') : reason})`, () => {
  const target = () => `${L.proxy!.endpointNames[0]}:443`;

  it('answers 407 to CONNECT without credentials and with wrong ones', async () => {
    const p = L.proxy!;
    const none = await proxyConnect(p.host, p.port, target());
    none.socket.destroy();
    expect(none.status).toBe(407);
    expect(none.headers['proxy-authenticate']).toMatch(/^Basic/);
    const wrong = await proxyConnect(p.host, p.port, target(), { user: p.user, password: 'wrong' });
    wrong.socket.destroy();
    expect(wrong.status).toBe(407);
  });

  it('tunnels CONNECT with the right credentials to the lab endpoint (TLS end to end)', async () => {
    const p = L.proxy!;
    const c = await proxyConnect(p.host, p.port, target(), { user: p.user, password: p.password });
    expect(c.status).toBe(200);
    const name = p.endpointNames[0] as string;
    const tls = await new Promise<TLSSocket>((res, rej) => {
      const s = tlsConnect({ socket: c.socket, servername: name, ca: readFileSync(p.endpoint.certPath) });
      s.once('secureConnect', () => res(s));
      s.once('error', rej);
    });
    const r = await httpOverSocket(tls, 'GET', name, '/ping');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ endpoint: 'asr-lab', scheme: 'https', servername: name, url: '/ping' });
  });

  it('refuses CONNECT to ports outside the allowed list', async () => {
    const p = L.proxy!;
    const c = await proxyConnect(p.host, p.port, `${p.endpoint.address}:22`, { user: p.user, password: p.password });
    c.socket.destroy();
    expect(c.status).toBe(403);
  });
});

// ------------------------------------------------------------------ PowerShell

const pwshHost = hosts.find((h) => lab?.pwsh?.hosts.includes(h.name));
describe.skipIf(!lab?.pwsh || !pwshHost)(`PowerShell remoting over SSH (needs pwsh: ${lab ? (lab.unavailable.pwsh ?? 'ok') : reason})`, () => {
  it('New-PSSession -HostName … / Invoke-Command { hostname } returns the host name', async () => {
    const h = pwshHost as HostState;
    const script = [
      '$ErrorActionPreference = "Stop"',
      '$o = @{ UserKnownHostsFile = $env:LAB_KNOWN_HOSTS; StrictHostKeyChecking = "yes" }',
      '$s = New-PSSession -HostName $env:LAB_ADDR -UserName root -KeyFilePath $env:LAB_KEY -Options $o',
      'try { Invoke-Command -Session $s { hostname } } finally { Remove-PSSession $s }',
    ].join('\n');
    const r = await run(L.pwsh!.path, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', script], {
      env: { ...process.env, LAB_ADDR: h.address, LAB_KEY: L.users.root.keyPath as string, LAB_KNOWN_HOSTS: L.knownHostsPath },
      allowFail: true,
      timeoutMs: 60_000,
    });
    expect(r.stderr.trim()).toBe('');
    expect(r.stdout.trim()).toBe(h.hostname);
  });
});

// ------------------------------------------------------------------ lifecycle

describe.skipIf(!lab)(`lab lifecycle (needs the lab: ${reason})`, () => {
  it('a second lab coexists with the shared one, and labDown leaves nothing', async () => {
    const second = await labUp({ hosts: 2 });
    try {
      expect(second.id).not.toBe(L.id);
      expect(second.subnet).not.toBe(L.subnet);
      // How long it took is the benchmark's business (no timing assertions); that it was measured is this test's.
      expect(second.timings.upMs).toBeGreaterThan(0);
      const r = await sshRun(second.hosts[0] as HostState, { user: second.users.root }, 'hostname');
      expect(r.stdout.trim()).toBe(second.hosts[0]?.hostname);
      // A scratch host belongs to the lab and goes down with it.
      await addHost(second);
    } finally {
      await labDown(second);
    }
    expect(await labLeftovers(second.id)).toEqual([]);
    const netns = (await run('ip', ['netns', 'list'])).stdout;
    expect(netns).not.toContain(`asrlab-${second.id}`);
    const links = (await run('ip', ['-o', 'link'])).stdout;
    expect(links).not.toContain(`asrl${second.id}`);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(second.id);
    expect(allProcs().filter((p) => p.cmdline.includes(second.stateDir))).toEqual([]);
    expect(isLabAlive(readLabState(`${L.stateDir}/state.json`))).toBe(true);
  });

  it('downStale removes a lab whose owner process died', async () => {
    const child = spawn(
      nodeBinary(),
      [
        '--input-type=module',
        '-e',
        `import { labUp } from ${JSON.stringify(`${LAB_DIR}/lab.ts`)}; const s = await labUp({ hosts: 1, vcsim: false, proxy: false, pwsh: false }); console.log(s.id); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const id = await waitFor('the child lab', () => /^[0-9a-f]{6}$/m.exec(out)?.[0], 30_000, 50);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const removed = await downStale();
    expect(removed).toContain(id);
    expect(removed).not.toContain(L.id);
    expect(await labLeftovers(id)).toEqual([]);
  });
});
