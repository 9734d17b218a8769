import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { fail } from '../model/errors.ts';
import { FactsSchema, type Facts } from '../model/facts.ts';
import { HostInputSchema, resolveHostDefaults, type Host, type HostInput } from '../model/host.ts';
import { nowIso, transaction, type Db } from './db.ts';

interface HostRow {
  id: string;
  name: string;
  address: string;
  os: 'linux' | 'windows' | null;
  transport: 'ssh' | 'winrm' | null;
  port: number | null;
  credential: string | null;
  tags: string;
  source: string;
  uuid: string | null;
  evidence: string | null;
  facts: string | null;
}

const SELECT = `SELECT h.*, f.data AS facts FROM hosts h LEFT JOIN facts f ON f.host_id = h.id`;

function toHost(r: HostRow): Host {
  return {
    id: r.id,
    name: r.name,
    address: r.address,
    os: r.os,
    transport: r.transport,
    port: r.port,
    credential: r.credential,
    tags: JSON.parse(r.tags) as string[],
    source: r.source,
    uuid: r.uuid,
    evidence: r.evidence ? (JSON.parse(r.evidence) as Record<string, unknown>) : null,
    facts: r.facts ? (JSON.parse(r.facts) as Facts) : null,
  };
}

export const newHostId = (): string => `h-${randomBytes(4).toString('hex')}`;

/** What `upsert` did with one input, so imports and discoveries can report counts. */
export type UpsertOutcome = 'added' | 'updated' | 'unchanged';

/** Fields a discovery must not change once a person set them or facts verified them. */
export const GUARDED_FIELDS = ['name', 'os', 'transport', 'credential'] as const;
export type GuardedField = (typeof GUARDED_FIELDS)[number];
/** Sources that are a person's word: `hosts add`, `hosts import`. Every other source is a discovery. */
const PERSON_SOURCES: ReadonlySet<string> = new Set(['manual', 'import']);
/** A successful login with these gathered the facts: the OS family, transport and credential are verified. */
const FACT_VERIFIED: ReadonlySet<GuardedField> = new Set(['os', 'transport', 'credential']);

/** A discovery that disagrees with what the inventory keeps for a host; accepted one by one. */
export interface HostConflict {
  id: string;
  hostId: string;
  host: string;
  field: GuardedField;
  current: string | null;
  discovered: string | null;
  source: string;
  /** Why the current value is kept: a person set it, or facts gathered over it verified it. */
  keptBecause: 'set by a person' | 'verified by facts';
  detectedAt: string;
}

export class HostRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  list(): Host[] {
    return (this.db.prepare(`${SELECT} ORDER BY h.name`).all() as unknown as HostRow[]).map(toHost);
  }

  get(idNameOrAddress: string): Host | undefined {
    const r = this.db.prepare(`${SELECT} WHERE h.id = ? OR h.name = ? OR h.address = ?`).get(idNameOrAddress, idNameOrAddress, idNameOrAddress) as unknown as
      HostRow | undefined;
    return r ? toHost(r) : undefined;
  }

  /** `all`, a comma list of names/addresses/ids, or `tag:NAME` (cli.md). Unknown names are an error. */
  select(selector = 'all'): Host[] {
    const sel = selector.trim();
    if (sel === '' || sel === 'all') return this.list();
    if (sel.startsWith('tag:')) {
      const tag = sel.slice(4);
      return this.list().filter((h) => h.tags.includes(tag));
    }
    const wanted = sel
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const out: Host[] = [];
    const unknown: string[] = [];
    for (const w of wanted) {
      const h = this.get(w);
      if (h) {
        if (!out.some((o) => o.id === h.id)) out.push(h);
      } else unknown.push(w);
    }
    if (unknown.length) {
      fail('not_found', `Unknown host${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
        remedy: 'Run `asr-deploy hosts list` to see the inventory, or add the host with `asr-deploy hosts add`.',
      });
    }
    return out;
  }

  /**
   * Adds a host, or updates the one with the same uuid or address (re-discovery and re-import
   * merge instead of duplicating). Explicit fields win; tags are unioned.
   */
  upsert(input: HostInput): { host: Host; outcome: UpsertOutcome; conflicts: HostConflict[] } {
    const h = HostInputSchema.parse(input);
    validateAddress(h.address);
    return transaction(this.db, () => {
      const existing =
        (h.uuid ? (this.db.prepare('SELECT id FROM hosts WHERE uuid = ?').get(h.uuid) as { id: string } | undefined) : undefined) ??
        (this.db.prepare('SELECT id FROM hosts WHERE address = ?').get(h.address) as { id: string } | undefined);
      const now = nowIso();
      if (!existing) {
        const d = resolveHostDefaults(h);
        const name = h.name ?? h.address;
        this.assertNameFree(name, null);
        const id = newHostId();
        const pinned = PERSON_SOURCES.has(h.source) ? GUARDED_FIELDS.filter((f) => h[f] !== undefined) : [];
        this.db
          .prepare(
            `INSERT INTO hosts (id, name, address, os, transport, port, credential, tags, source, uuid, evidence, pinned, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            id,
            name,
            h.address,
            d.os,
            d.transport,
            d.port,
            h.credential ?? null,
            JSON.stringify(unique(h.tags)),
            h.source,
            h.uuid ?? null,
            h.evidence ? JSON.stringify(h.evidence) : null,
            JSON.stringify(pinned),
            now,
            now,
          );
        return { host: this.get(id)!, outcome: 'added' as const, conflicts: [] };
      }
      const before = this.get(existing.id)!;
      const pinnedBefore = this.pinned(before.id);
      const conflicts: HostConflict[] = [];
      let pinned = pinnedBefore;
      if (PERSON_SOURCES.has(h.source)) {
        // A person's explicit value wins and is kept from then on; a conflict it settles goes.
        pinned = unique([...pinnedBefore, ...GUARDED_FIELDS.filter((f) => h[f] !== undefined)]) as GuardedField[];
        for (const f of GUARDED_FIELDS) if (h[f] !== undefined) this.db.prepare('DELETE FROM host_conflicts WHERE host_id = ? AND field = ?').run(before.id, f);
      } else {
        // A discovery: what a person set or facts verified is kept; a different value is a conflict.
        for (const f of GUARDED_FIELDS) {
          const found = h[f];
          const cur = before[f];
          if (found === undefined || cur === null) continue;
          const why =
            PERSON_SOURCES.has(before.source) || pinnedBefore.includes(f)
              ? 'set by a person'
              : before.facts && FACT_VERIFIED.has(f)
                ? 'verified by facts'
                : null;
          if (!why) continue;
          if (found === cur) {
            this.db.prepare('DELETE FROM host_conflicts WHERE host_id = ? AND field = ?').run(before.id, f);
            continue;
          }
          conflicts.push(this.recordConflict(before, f, cur, found, h.source, why));
          delete h[f];
          if (f === 'transport') delete h.port;
        }
      }
      const d = resolveHostDefaults({ os: h.os ?? before.os, transport: h.transport ?? before.transport, port: h.port ?? before.port });
      const name = h.name ?? before.name;
      if (name !== before.name) this.assertNameFree(name, before.id);
      const next = {
        name,
        address: h.address,
        os: d.os,
        transport: d.transport,
        port: d.port,
        credential: h.credential ?? before.credential,
        tags: unique([...before.tags, ...h.tags]),
        uuid: h.uuid ?? before.uuid,
        evidence: h.evidence ? { ...(before.evidence ?? {}), ...h.evidence } : before.evidence,
      };
      const changed =
        next.name !== before.name ||
        next.address !== before.address ||
        next.os !== before.os ||
        next.transport !== before.transport ||
        next.port !== before.port ||
        next.credential !== before.credential ||
        next.uuid !== before.uuid ||
        JSON.stringify(next.tags) !== JSON.stringify(before.tags) ||
        JSON.stringify(next.evidence) !== JSON.stringify(before.evidence) ||
        pinned.length !== pinnedBefore.length;
      if (!changed) return { host: before, outcome: 'unchanged' as const, conflicts };
      this.db
        .prepare(`UPDATE hosts SET name=?, address=?, os=?, transport=?, port=?, credential=?, tags=?, uuid=?, evidence=?, pinned=?, updated_at=? WHERE id=?`)
        .run(
          next.name,
          next.address,
          next.os,
          next.transport,
          next.port,
          next.credential,
          JSON.stringify(next.tags),
          next.uuid,
          next.evidence ? JSON.stringify(next.evidence) : null,
          JSON.stringify(pinned),
          now,
          before.id,
        );
      return { host: this.get(before.id)!, outcome: 'updated' as const, conflicts };
    });
  }

  private pinned(hostId: string): GuardedField[] {
    const r = this.db.prepare('SELECT pinned FROM hosts WHERE id = ?').get(hostId) as { pinned: string } | undefined;
    return r ? (JSON.parse(r.pinned) as GuardedField[]) : [];
  }

  private recordConflict(host: Host, field: GuardedField, current: string, discovered: string, source: string, why: HostConflict['keptBecause']): HostConflict {
    const prev = this.db.prepare('SELECT id FROM host_conflicts WHERE host_id = ? AND field = ?').get(host.id, field) as { id: string } | undefined;
    const id = prev?.id ?? `x-${randomBytes(4).toString('hex')}`;
    const at = nowIso();
    this.db
      .prepare(
        `INSERT INTO host_conflicts (id, host_id, field, current, discovered, source, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(host_id, field) DO UPDATE SET current = excluded.current, discovered = excluded.discovered, source = excluded.source, detected_at = excluded.detected_at`,
      )
      .run(id, host.id, field, current, discovered, source, at);
    return { id, hostId: host.id, host: host.name, field, current, discovered, source, keptBecause: why, detectedAt: at };
  }

  /** Open conflicts between the inventory and discoveries, oldest first. */
  conflicts(hostIds?: readonly string[]): HostConflict[] {
    const rows = this.db
      .prepare(
        'SELECT c.*, h.name AS host_name, h.source AS host_source, h.pinned AS pinned FROM host_conflicts c JOIN hosts h ON h.id = c.host_id ORDER BY c.detected_at, c.id',
      )
      .all() as Record<string, string>[];
    return rows
      .filter((r) => !hostIds || hostIds.includes(r.host_id!))
      .map((r) => ({
        id: r.id!,
        hostId: r.host_id!,
        host: r.host_name!,
        field: r.field as GuardedField,
        current: r.current ?? null,
        discovered: r.discovered ?? null,
        source: r.source!,
        keptBecause: PERSON_SOURCES.has(r.host_source!) || (JSON.parse(r.pinned!) as string[]).includes(r.field!) ? 'set by a person' : 'verified by facts',
        detectedAt: r.detected_at!,
      }));
  }

  /** Takes the discovered value of one conflict: the person accepting it makes it theirs (pinned). */
  acceptConflict(id: string): Host {
    return transaction(this.db, () => {
      const c = this.conflicts().find((x) => x.id === id);
      if (!c) fail('not_found', `No open conflict ${id}.`, { remedy: 'See `asr-deploy hosts conflicts`.' });
      const host = this.get(c.hostId)!;
      const value = c.discovered;
      if (c.field === 'name') {
        if (!value) fail('validation', `Conflict ${id} has no name to take.`);
        this.assertNameFree(value, host.id);
      }
      const patch: Record<string, string | number | null> = { [c.field]: value };
      if (c.field === 'transport' || c.field === 'os') {
        const d = resolveHostDefaults({
          os: c.field === 'os' ? (value as Host['os']) : host.os,
          transport: c.field === 'transport' ? (value as Host['transport']) : c.field === 'os' ? null : host.transport,
          port: null,
        });
        Object.assign(patch, { os: d.os, transport: d.transport, port: d.port });
      }
      const cols = Object.keys(patch);
      this.db
        .prepare(`UPDATE hosts SET ${cols.map((k) => `${k} = ?`).join(', ')}, pinned = ?, updated_at = ? WHERE id = ?`)
        .run(...cols.map((k) => patch[k]!), JSON.stringify(unique([...this.pinned(host.id), c.field])), nowIso(), host.id);
      this.db.prepare('DELETE FROM host_conflicts WHERE id = ?').run(id);
      return this.get(host.id)!;
    });
  }

  remove(ids: readonly string[]): number {
    return transaction(this.db, () => {
      let n = 0;
      for (const id of ids) n += Number(this.db.prepare('DELETE FROM hosts WHERE id = ?').run(id).changes);
      return n;
    });
  }

  setFacts(hostId: string, facts: Facts): void {
    const data = FactsSchema.parse(facts);
    this.db
      .prepare(
        `INSERT INTO facts (host_id, collected_at, data) VALUES (?, ?, ?) ON CONFLICT(host_id) DO UPDATE SET collected_at = excluded.collected_at, data = excluded.data`,
      )
      .run(hostId, data.collectedAt, JSON.stringify(data));
  }

  private assertNameFree(name: string, selfId: string | null): void {
    const other = this.db.prepare('SELECT id, address FROM hosts WHERE name = ?').get(name) as { id: string; address: string } | undefined;
    if (other && other.id !== selfId) {
      fail('conflict', `The name "${name}" is already used by the host at ${other.address}.`, {
        remedy: 'Choose another --name, or remove the other host first.',
      });
    }
  }
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** An address is an IP literal or a DNS/NetBIOS name; anything else is refused before it reaches a probe or a shell. */
export function validateAddress(address: string): void {
  if (isIP(address)) return;
  if (/^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/.test(address)) return;
  fail('validation', `"${address}" is not an IP address or a host name.`, { remedy: 'Give an IPv4/IPv6 address or a DNS name such as web1.contoso.local.' });
}
