import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { posix } from 'node:path';
import { loadCatalog } from '../components/catalog.ts';
import { stagingDir } from '../components/mobility-service/linux.ts';
import { AsrFailure, fail } from '../model/errors.ts';
import { scanSshHostKey } from '../remote/ssh/scan.ts';
import { sameFingerprint } from '../remote/ssh/host-key.ts';
import type { Store } from '../store/store.ts';
import { loadPlan, type PlanDocument, type PlanItem } from './plan.ts';

/**
 * `export ansible PLANID --out DIR`: the plan as an Ansible project an administrator can read,
 * review and run with their own tooling. It keeps our guarantees: host keys are the pinned ones
 * (verified against a fresh scan at export time, written to a private known_hosts, strict
 * checking), the installer's SHA-256 is verified on the target, the passphrase is never written
 * by us (a variable the user supplies, ideally from ansible-vault, used with no_log), and every
 * value from the plan is tagged !unsafe so Ansible never templates it.
 */

export interface AnsibleExportHost {
  host: string;
  exported: boolean;
  reason: string;
}

export interface AnsibleExportResult {
  planId: string;
  dir: string;
  files: string[];
  hosts: AnsibleExportHost[];
  /** The variable the playbook needs for the configuration server passphrase, when it needs one. */
  passphraseVariable: string | null;
}

export const PASSPHRASE_VARIABLE = 'asr_cs_passphrase';

/**
 * A YAML double-quoted scalar in plain ASCII: every character outside printable ASCII is escaped
 * (\\uXXXX, \\UXXXXXXXX), so no line-break look-alike (U+2028, U+0085), BOM or non-printable code
 * point reaches the YAML reader. The one quoting helper for the YAML we write; `unsafe` adds
 * Ansible's tag that disables templating.
 */
export function yamlString(value: string, unsafe = true): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp >= 0x20 && cp <= 0x7e) out += ch;
    else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return `${unsafe ? '!unsafe ' : ''}${out}"`;
}

/** Ansible host names: an inventory key must not start an Ansible pattern (`!`, `&`, `~`) or contain `:`, `,`, spaces. */
function inventoryName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9_]/, '_') || 'host';
  let n = base;
  for (let i = 2; taken.has(n); i++) n = `${base}_${i}`;
  taken.add(n);
  base = n;
  return base;
}

interface ExportStep {
  name: string;
  argv: string[];
  chdir: string;
}

function hostSteps(item: PlanItem, stage: string): ExportStep[] {
  const placeholder = stagingDir('JOB');
  const mapArg = (a: string) => (a === placeholder ? stage : a.startsWith(placeholder + '/') ? stage + a.slice(placeholder.length) : a);
  const lines = (item.commandLines ?? []).map((argv) => argv.map(mapArg));
  // The Linux recipe's command lines are [extract, install|upgrade, configure?]: the extract runs in
  // the staging directory, the installer from its extracted folder (./install), the configurator anywhere.
  return lines.map((argv, i) => ({
    name: i === 0 ? 'extract' : i === 1 ? (item.action === 'upgrade' ? 'upgrade' : 'install') : 'configure',
    argv,
    chdir: i === 1 ? posix.join(stage, 'x') : stage,
  }));
}

function knownHostsLine(address: string, port: number, keyType: string, publicKey: string): string {
  const who = port === 22 ? address : `[${address}]:${port}`;
  return `${who} ${keyType} ${publicKey}`;
}

function playbook(plan: PlanDocument, componentName: string, okCodes: number[]): string {
  const stage = `/tmp/asr-deploy-ansible-${plan.planId}`;
  const y = (s: string) => yamlString(s, false);
  return `# ${componentName} ${plan.version}: plan ${plan.planId}, exported by asr-deploy.
# Run: ansible-playbook playbook.yml [--private-key KEY] [-K] [-e @secrets.yml]   (see README.md)
- name: ${y(`${componentName} ${plan.version} (plan ${plan.planId})`)}
  hosts: all
  gather_facts: false
  vars:
    asr_stage: ${y(stage)}
    asr_ok_codes: ${JSON.stringify(okCodes)}
  tasks:
    - name: The configuration server passphrase is supplied (ansible-vault), never stored in this folder
      ansible.builtin.assert:
        that: ["${PASSPHRASE_VARIABLE} is defined and (${PASSPHRASE_VARIABLE} | length) > 0"]
        fail_msg: "Pass the passphrase as ${PASSPHRASE_VARIABLE}, e.g. -e @secrets.yml from ansible-vault (README.md)."
        quiet: true
      when: asr_needs_passphrase | bool
    - name: Install on the target
      block:
        - name: Private staging directory
          ansible.builtin.file: { path: "{{ item }}", state: directory, mode: "0700" }
          loop: ["{{ asr_stage }}", "{{ asr_stage }}/x"]
        - name: Copy the installer
          ansible.builtin.copy: { src: "{{ asr_installer }}", dest: "{{ asr_stage }}/{{ asr_installer_file }}", mode: "0600" }
        - name: SHA-256 of the installer on the target
          ansible.builtin.stat: { path: "{{ asr_stage }}/{{ asr_installer_file }}", checksum_algorithm: sha256, get_checksum: true }
          register: asr_installer_stat
        - name: The installer on the target is the one that was planned
          ansible.builtin.assert:
            that: ["asr_installer_stat.stat.checksum == asr_installer_sha256"]
            fail_msg: "SHA-256 mismatch on the target: refusing to install (hash_mismatch)."
            quiet: true
        - name: Configuration server passphrase (0600, removed afterwards)
          ansible.builtin.copy: { content: "{{ ${PASSPHRASE_VARIABLE} }}", dest: "{{ asr_stage }}/passphrase", mode: "0600" }
          no_log: true
          when: asr_needs_passphrase | bool
        - name: Documented command lines
          ansible.builtin.command:
            argv: "{{ item.argv }}"
            chdir: "{{ item.chdir }}"
          loop: "{{ asr_steps }}"
          loop_control: { label: "{{ item.name }}" }
          register: asr_step
          changed_when: true
          failed_when: asr_step.rc not in asr_ok_codes
      always:
        - name: Remove the staging directory, the installer and the passphrase
          ansible.builtin.file: { path: "{{ asr_stage }}", state: absent }
`;
}

function readme(plan: PlanDocument, componentName: string, hosts: AnsibleExportHost[], needsPassphrase: boolean, become: boolean): string {
  const out = [
    `# ${componentName} ${plan.version}: plan ${plan.planId} as an Ansible project`,
    '',
    'Exported by `asr-deploy export ansible`. What asr-deploy checked at plan time (support matrix, facts,',
    'installed versions) is not repeated here: run it soon after the plan, or plan again.',
    '',
    '- `inventory.yml`: the planned hosts, their installer, its SHA-256 and the documented command lines.',
    '- `known_hosts`: the pinned SSH host keys (verified against a fresh scan at export); `ansible.cfg`',
    '  makes host key checking strict, so a changed key stops that host.',
    '- `playbook.yml`: stage (0700), copy, verify SHA-256 on the target, install, configure, clean up.',
    '',
    '## Run',
    '',
    '```sh',
    needsPassphrase ? `ansible-vault create secrets.yml      # ${PASSPHRASE_VARIABLE}: <configuration server passphrase>` : '',
    `ansible-playbook playbook.yml --private-key ~/.ssh/KEY${become ? ' -K' : ''}${needsPassphrase ? ' -e @secrets.yml --ask-vault-pass' : ''}`,
    '```',
    '',
    `Exit codes counted as success: the catalog's success and success-with-warnings codes.`,
    '',
    '## Hosts',
    '',
    '| host | exported | reason |',
    '|---|---|---|',
    ...hosts.map((h) => `| ${h.host.replace(/\|/g, '\\|')} | ${h.exported ? 'yes' : 'no'} | ${h.reason.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`),
    '',
  ];
  return out.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n');
}

/** Writes the plan as an Ansible project into `outDir` (new or empty); nothing is written when anything fails. */
export async function exportAnsible(
  store: Store,
  planId: string,
  outDir: string,
  opts: { scanTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<AnsibleExportResult> {
  const plan = loadPlan(store, planId);
  const dir = resolve(outDir);
  if (existsSync(dir) && readdirSync(dir).length) fail('usage', `${dir} is not empty.`, { remedy: 'Export into a new or empty folder.' });
  if (!existsSync(dirname(dir))) fail('usage', `${dirname(dir)} does not exist.`, { remedy: 'Create the parent folder first.' });
  const catalog = loadCatalog();
  const comp = catalog.component(plan.component as never);
  const okCodes = [...comp.exitCodes.success, ...comp.exitCodes.successWithWarnings, ...comp.exitCodes.successRebootRequired];
  const stage = `/tmp/asr-deploy-ansible-${plan.planId}`;
  const taken = new Set<string>();
  const hosts: AnsibleExportHost[] = [];
  const inventory: string[] = [];
  const knownHosts: string[] = [];
  let become = false;

  for (const item of plan.items) {
    const skip = (reason: string) => hosts.push({ host: item.host, exported: false, reason });
    if (item.action !== 'install' && item.action !== 'upgrade') {
      skip(`${item.action}: ${item.reason}`);
      continue;
    }
    const host = store.hosts.select(item.hostId)[0];
    if (!host) {
      skip('the host is no longer in the inventory');
      continue;
    }
    if (host.os !== 'linux' || (host.transport && host.transport !== 'ssh')) {
      skip('only Linux hosts over SSH are exported; Windows hosts are deployed with `asr-deploy apply`');
      continue;
    }
    if (!item.installer || !item.commandLines?.length) {
      skip('the plan has no installer or command lines for this host');
      continue;
    }
    const port = host.port ?? 22;
    const pin = store.trust.pinFor(host, port, 'ssh');
    if (!pin) {
      skip(`host_key_unknown: no pinned SSH host key (asr-deploy trust approve ${host.address})`);
      continue;
    }
    let scan;
    try {
      scan = await scanSshHostKey(host.address, port, {
        host: host.name,
        timeoutMs: opts.scanTimeoutMs ?? 10_000,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      if (e instanceof AsrFailure && e.data.code === 'cancelled') throw e;
      skip(
        `${e instanceof AsrFailure ? e.data.code : 'unreachable'}: the host key could not be read to verify the pin (${e instanceof Error ? e.message : String(e)})`,
      );
      continue;
    }
    if (!sameFingerprint(scan.fingerprint, pin.fingerprint)) {
      skip(`host_key_mismatch: the host now presents ${scan.fingerprint}, pinned ${pin.fingerprint}; if the change is expected, revoke and approve it again`);
      continue;
    }
    const secret = host.credential ? store.credentials.list().find((c) => c.name === host.credential) : undefined;
    const user = secret?.user ?? 'root';
    if (user !== 'root') become = true;
    knownHosts.push(knownHostsLine(host.address, port, scan.keyType, scan.publicKey));
    const steps = hostSteps(item, stage);
    const needsPassphrase = !!plan.passphraseRef && steps.some((s) => s.argv.includes(posix.join(stage, 'passphrase')));
    const name = inventoryName(host.name, taken);
    inventory.push(
      `    ${JSON.stringify(name)}:`,
      `      ansible_host: ${yamlString(host.address)}`,
      `      ansible_port: ${port}`,
      `      ansible_user: ${yamlString(user)}`,
      ...(user !== 'root' ? ['      ansible_become: true'] : []),
      `      asr_installer: ${yamlString(item.installer.path)}`,
      `      asr_installer_file: ${yamlString(basename(item.installer.path))}`,
      `      asr_installer_sha256: ${yamlString(item.installer.sha256)}`,
      `      asr_needs_passphrase: ${needsPassphrase}`,
      `      asr_action: ${yamlString(item.action)}`,
      `      asr_version: ${yamlString(item.to ?? plan.version)}`,
      '      asr_steps:',
      ...steps.flatMap((s) => [
        `        - name: ${yamlString(s.name)}`,
        `          chdir: ${yamlString(s.chdir)}`,
        `          argv: [${s.argv.map((a) => yamlString(a)).join(', ')}]`,
      ]),
    );
    hosts.push({ host: item.host, exported: true, reason: `${item.action} ${item.from ?? ''}${item.from ? ' → ' : ''}${item.to ?? plan.version}` });
  }

  const exported = hosts.filter((h) => h.exported).length;
  if (!exported)
    fail('validation', `Plan ${plan.planId} has no host that can be exported.`, {
      remedy: hosts.map((h) => `${h.host}: ${h.reason}`).join('; ') || 'The plan is empty.',
    });
  const needsPassphrase = inventory.some((l) => l.trim() === 'asr_needs_passphrase: true');
  const files: Record<string, string> = {
    'inventory.yml': `# Plan ${plan.planId}: ${comp.name} ${plan.version}. Values are !unsafe: Ansible never templates them.\nall:\n  hosts:\n${inventory.join('\n')}\n`,
    known_hosts: knownHosts.join('\n') + '\n',
    'playbook.yml': playbook(plan, comp.name, okCodes),
    'ansible.cfg': [
      '[defaults]',
      'inventory = inventory.yml',
      'host_key_checking = True',
      'forks = 8',
      'retry_files_enabled = False',
      '',
      '[ssh_connection]',
      `ssh_args = -o UserKnownHostsFile=${join(dir, 'known_hosts')} -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ControlPersist=60s`,
      '',
    ].join('\n'),
    'README.md': readme(plan, comp.name, hosts, needsPassphrase, become),
  };
  // Written into a sibling folder first and renamed, so a failure leaves nothing half-written.
  const tmp = `${dir}.asr-export-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    for (const [f, text] of Object.entries(files)) writeFileSync(join(tmp, f), text, { mode: 0o600 });
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { planId: plan.planId, dir, files: Object.keys(files), hosts, passphraseVariable: needsPassphrase ? PASSPHRASE_VARIABLE : null };
}
