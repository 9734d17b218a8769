import { nowIso, type Db } from './db.ts';

export interface TrustPin {
  host: string;
  port: number;
  kind: 'ssh' | 'tls';
  fingerprint: string;
  keyType: string | null;
  subject: string | null;
  notAfter: string | null;
  approvedAt: string;
}

interface Row {
  host: string;
  port: number;
  kind: 'ssh' | 'tls';
  fingerprint: string;
  key_type: string | null;
  subject: string | null;
  not_after: string | null;
  approved_at: string;
}

const toPin = (r: Row): TrustPin => ({
  host: r.host,
  port: r.port,
  kind: r.kind,
  fingerprint: r.fingerprint,
  keyType: r.key_type,
  subject: r.subject,
  notAfter: r.not_after,
  approvedAt: r.approved_at,
});

/**
 * Pinned SSH host keys and TLS certificates. Written only by the explicit enrolment step
 * (`trust approve`, the wizard's review screen), read by every parallel run.
 */
export class TrustRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  list(): TrustPin[] {
    return (this.db.prepare('SELECT * FROM trust_pins ORDER BY host, port, kind').all() as unknown as Row[]).map(toPin);
  }
  get(host: string, port: number, kind: 'ssh' | 'tls'): TrustPin | undefined {
    const r = this.db.prepare('SELECT * FROM trust_pins WHERE host = ? AND port = ? AND kind = ?').get(host, port, kind) as unknown as Row | undefined;
    return r ? toPin(r) : undefined;
  }
  /** The pin a connection to an inventory host is checked against: by address, else by inventory name (the one pin lookup). */
  pinFor(host: { name: string; address: string }, port: number, kind: 'ssh' | 'tls'): TrustPin | undefined {
    return this.get(host.address, port, kind) ?? (host.name !== host.address ? this.get(host.name, port, kind) : undefined);
  }
  approve(pin: Omit<TrustPin, 'approvedAt'>): TrustPin {
    this.db
      .prepare(
        `INSERT INTO trust_pins (host, port, kind, fingerprint, key_type, subject, not_after, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(host, port, kind) DO UPDATE SET fingerprint=excluded.fingerprint, key_type=excluded.key_type, subject=excluded.subject, not_after=excluded.not_after, approved_at=excluded.approved_at`,
      )
      .run(pin.host, pin.port, pin.kind, pin.fingerprint, pin.keyType, pin.subject, pin.notAfter, nowIso());
    return this.get(pin.host, pin.port, pin.kind)!;
  }
  revoke(host: string, port?: number): number {
    const r =
      port === undefined
        ? this.db.prepare('DELETE FROM trust_pins WHERE host = ?').run(host)
        : this.db.prepare('DELETE FROM trust_pins WHERE host = ? AND port = ?').run(host, port);
    return Number(r.changes);
  }
}
