// npm run lab -- up [--hosts N] [--clones mix|PROFILE] [--vms N] [--no-vcsim] [--no-proxy] [--no-pwsh] [--json]
// npm run lab -- down [ID | --all]  (no ID: detached and stale labs; --all: every lab)
// npm run lab -- status [--json]
// npm run lab -- fault HOST NAME [--lab ID]     (HOST = name, host name or address)
// npm run lab -- stale              (remove labs whose owner died)
// npm run lab -- installers DIR VERSION [--os RHEL8-64,...] [--home DATADIR]   (stand-in Mobility service installers: TEST FIXTURE, pinned with sources trust)
// npm run lab -- configs DIR [--appliance ADDRESS] [--out DIR] (stand-in appliance: DIR/<host>.txt → <host>.json)

import { parseArgs } from 'node:util';
import { FAULTS, fault } from './faults.ts';
import { downStale, labDown, labStatus, labUp, readLabState } from './lab.ts';
import type { FaultName, LabState } from './types.ts';
import type { CloneKind } from './profiles.ts';
import { buildFixtureInstaller, trustFixtureInstallers } from '../fixtures/mobility-installer/build.ts';
import { makeConfigFiles } from './appliance.ts';

/** Installer OS ids of the lab's profiles (centos-6.6, ol-6.5, sles-11-sp3, rhel-8.6, ubuntu-22.04). */
export const LAB_INSTALLER_OS_IDS = ['RHEL6-64', 'OL6-64', 'SLES11-SP3-64', 'RHEL8-64', 'UBUNTU-22.04-64'];

function printState(s: LabState): void {
  const out: string[] = [];
  out.push(`lab ${s.id} up in ${((s.timings.upMs ?? 0) / 1000).toFixed(2)} s   state: ${s.stateDir}/state.json`);
  out.push(`bridge ${s.bridge} ${s.bridgeAddress} (${s.subnet})`);
  const rows = s.hosts.map((h) => {
    const notes = [
      h.sftp ? '' : 'no sftp',
      h.etcHostsCorrect ? '' : `/etc/hosts says ${h.etcHostsAddress}`,
      h.nonEnglishName ? 'non-English name' : '',
      h.powershell ? 'powershell subsystem' : '',
    ].filter(Boolean);
    return [h.name, h.hostname, h.address, h.profile, notes.join(', ')];
  });
  const head = ['NAME', 'HOSTNAME', 'ADDRESS', 'PROFILE', 'NOTES'];
  const width = head.map((hd, i) => Math.max(hd.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  for (const r of [head, ...rows])
    out.push(
      r
        .map((c, i) => c + ' '.repeat(Math.max(0, (width[i] ?? 0) - [...c].length)))
        .join('  ')
        .trimEnd(),
    );
  const u = s.users;
  out.push(`users: root key ${u.root.keyPath}`);
  out.push(`       ${u.admin.name} password ${u.admin.password} (sudo asks), key ${u.admin.keyPath} passphrase ${u.admin.keyPassphrase}`);
  out.push(`       ${u.nopw.name} password ${u.nopw.password} (sudo NOPASSWD), key ${u.nopw.keyPath}`);
  out.push(`known_hosts ${s.knownHostsPath}`);
  if (s.vcsim) {
    out.push(`vcsim  ${s.vcsim.url}  user ${s.vcsim.user} password ${s.vcsim.password}  ${s.vcsim.vmCount} VMs (${s.vcsim.poweredOff} off)`);
    out.push(`       TLS SHA-256 ${s.vcsim.fingerprintSha256}`);
  }
  if (s.proxy) {
    out.push(
      `proxy  http://${s.proxy.host}:${s.proxy.port}  user ${s.proxy.user} password ${s.proxy.password}  CONNECT ports ${s.proxy.connectPorts.join(',')}`,
    );
    out.push(`       endpoint ${s.proxy.endpoint.address}:443/:80 for ${s.proxy.endpointNames.join(' ')}`);
  }
  if (s.appliance)
    out.push(
      `appliance ${s.appliance.address}  (stand-in replication appliance: TCP ${s.appliance.ports.join(', ')}; config files from test/lab/appliance.ts)`,
    );
  if (s.pwsh) out.push(`pwsh   ${s.pwsh.path}  remoting over SSH on: ${s.pwsh.hosts.join(', ')}`);
  for (const [k, v] of Object.entries(s.unavailable)) out.push(`unavailable ${k}: ${v}`);
  out.push(
    `timings ${Object.entries(s.timings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  out.push(`export ASR_LAB_STATE=${s.stateDir}/state.json`);
  console.log(out.join('\n'));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      hosts: { type: 'string' },
      clones: { type: 'string' },
      vms: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-vcsim': { type: 'boolean', default: false },
      'no-proxy': { type: 'boolean', default: false },
      'no-pwsh': { type: 'boolean', default: false },
      lab: { type: 'string' },
      all: { type: 'boolean', default: false },
      os: { type: 'string' },
      appliance: { type: 'string' },
      out: { type: 'string' },
      home: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [cmd, ...rest] = positionals;
  const usage =
    'usage: lab up [--hosts N] [--clones mix|PROFILE] [--vms N] [--no-vcsim] [--no-proxy] [--no-pwsh] [--json] | down [ID | --all] | status [--json] | fault HOST NAME [--lab ID] | stale | installers DIR VERSION [--os IDS] [--home DATADIR] | configs DIR [--appliance ADDRESS] [--out DIR]';
  if (values.help || !cmd) {
    console.log(usage);
    return cmd ? 0 : 2;
  }
  switch (cmd) {
    case 'up': {
      const state = await labUp({
        hosts: values.hosts ? Number(values.hosts) : undefined,
        clones: values.clones as CloneKind | undefined,
        vms: values.vms ? Number(values.vms) : undefined,
        vcsim: !values['no-vcsim'],
        proxy: !values['no-proxy'],
        pwsh: !values['no-pwsh'],
        detached: true,
        log: values.json ? undefined : (m) => console.error(m),
      });
      if (values.json) console.log(JSON.stringify(state, null, 2));
      else printState(state);
      return 0;
    }
    case 'down': {
      const t = Date.now();
      const which = values.all ? 'all' : rest[0];
      await labDown(which);
      const what = which === 'all' ? 'all labs' : which ? `lab ${which}` : 'detached and stale labs (labs of running test runs are kept; --all for those too)';
      console.log(`down: ${what} in ${Date.now() - t} ms; nothing left`);
      return 0;
    }
    case 'status': {
      const st = await labStatus();
      if (values.json) {
        console.log(JSON.stringify(st, null, 2));
        return 0;
      }
      if (!st.length) console.log('no lab');
      for (const l of st) {
        console.log(
          `lab ${l.id} ${l.alive ? 'alive' : 'NOT alive'}  owner ${l.ownerPid} ${l.ownerAlive ? 'running' : 'dead'}${l.detached ? ' (detached)' : ''}  ${l.stateDir}`,
        );
        for (const h of l.hosts)
          console.log(`  ${h.name.padEnd(10)} ${h.address.padEnd(15)} ${h.running ? 'running' : 'stopped'}  sshd ${h.sshd ? 'open' : 'closed'}  ${h.hostname}`);
        if (l.vcsim) console.log(`  vcsim ${l.vcsim.url} ${l.vcsim.running ? 'running' : 'stopped'}`);
        if (l.proxy) console.log(`  proxy ${l.proxy.url} ${l.proxy.running ? 'running' : 'stopped'}`);
      }
      return 0;
    }
    case 'fault': {
      const [host, name] = rest;
      if (!host || !name || !FAULTS.includes(name as FaultName)) {
        console.error(`usage: lab fault HOST NAME [--lab ID]; NAME is one of ${FAULTS.join(', ')}`);
        return 2;
      }
      let id = values.lab;
      if (!id) {
        // The lab that has this host (by name, host name or address); ambiguous → --lab.
        const labs = (await labStatus()).filter((l) => l.state?.hosts.some((h) => [h.name, h.hostname, h.address].includes(host)));
        if (labs.length !== 1) {
          console.error(`${labs.length} labs have a host ${host}; say which with --lab ID`);
          return 2;
        }
        id = labs[0]?.id;
      }
      const r = await fault(readLabState(id ?? ''), host, name as FaultName);
      console.log(values.json ? JSON.stringify(r, null, 2) : `${r.host}: ${r.fault}: ${r.detail}\nhost key ${r.hostKeyFingerprint}`);
      return 0;
    }
    case 'installers': {
      const [dir, version] = rest;
      if (!dir || !version || !/^\d+(\.\d+){3}$/.test(version)) {
        console.error(
          'usage: lab installers DIR VERSION [--os RHEL8-64,UBUNTU-22.04-64] [--home DATADIR]  (VERSION like 9.66.7567.1; pinned with sources trust in DATADIR, else $ASR_DEPLOY_HOME)',
        );
        return 2;
      }
      const ids = values.os ? values.os.split(',').filter(Boolean) : LAB_INSTALLER_OS_IDS;
      const built = ids.map((osId) => buildFixtureInstaller({ dir, version, osId }));
      for (const f of built) console.log(f);
      console.error(
        `TEST FIXTURE: ${ids.length} stand-in Mobility service ${version} installer(s), not Microsoft's; they install nothing outside the lab hosts' /usr/local.`,
      );
      // No document gives their SHA-256: pinned (sources trust) in the data directory, as an admin would, or plan blocks them.
      trustFixtureInstallers(built, values.home ? { home: values.home } : {});
      console.error(`pinned with \`asr-deploy sources trust\` in ${values.home ?? process.env.ASR_DEPLOY_HOME ?? 'the default data directory'}`);
      return 0;
    }
    case 'configs': {
      const [dir] = rest;
      if (!dir) {
        console.error('usage: lab configs DIR [--appliance ADDRESS] [--out DIR]  (DIR from `asr-deploy jobs config-requests JOB --out DIR`)');
        return 2;
      }
      let appliance = values.appliance;
      if (!appliance) {
        const labs = (await labStatus()).filter((l) => l.state?.appliance);
        if (labs.length !== 1) {
          console.error(`${labs.length} labs have a stand-in appliance; say which with --appliance ADDRESS`);
          return 2;
        }
        appliance = labs[0]!.state!.appliance!.address;
      }
      for (const f of makeConfigFiles(dir, { appliance, ...(values.out ? { outDir: values.out } : {}) })) console.log(`${f.host}\t${f.file}`);
      console.error(`TEST FIXTURE: config files made by the lab's stand-in appliance ${appliance}, not by Azure.`);
      return 0;
    }
    case 'stale': {
      const removed = await downStale();
      console.log(removed.length ? `removed ${removed.join(', ')}` : 'nothing stale');
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
