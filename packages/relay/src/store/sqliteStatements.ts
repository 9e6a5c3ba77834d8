/**
 * The prepared statements of {@link SqliteStore}, typed, prepared once per
 * connection. The SQL lives here, next to nothing else, so the queries the
 * store runs can be read (and their query plans checked) in one place.
 */
import type Database from 'better-sqlite3'
import type { DocChange, PeerCursor } from './RelayStore.js'

/** Every statement the store runs after opening. */
export interface Statements {
  setMeta: Database.Statement<[string, string | number]>
  insertUpdate: Database.Statement<[number, string, Uint8Array]>
  upsertDoc: Database.Statement<[string, number, number], { updates: number }>
  getDoc: Database.Statement<[string], { seq: number; updates: number; bytes: number }>
  setDocSize: Database.Statement<[number, number, string]>
  selectLog: Database.Statement<[string], { seq: number; data: Buffer }>
  selectLogSince: Database.Statement<[string, number], { data: Buffer }>
  deleteLogThrough: Database.Statement<[string, number]>
  changesSince: Database.Statement<[number, number], DocChange>
  getPeer: Database.Statement<[string], PeerCursor>
  upsertPeer: Database.Statement<[string, string, number]>
}

/** Prepares every statement on `db` (whose schema must exist). */
export function prepare(db: Database.Database): Statements {
  return {
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    insertUpdate: db.prepare('INSERT INTO updates (seq, doc, data) VALUES (?, ?, ?)'),
    upsertDoc: db.prepare(
      `INSERT INTO docs (doc, seq, updates, bytes) VALUES (?, ?, 1, ?)
       ON CONFLICT (doc) DO UPDATE SET seq = excluded.seq, updates = updates + 1, bytes = bytes + excluded.bytes
       RETURNING updates`,
    ),
    getDoc: db.prepare('SELECT seq, updates, bytes FROM docs WHERE doc = ?'),
    setDocSize: db.prepare('UPDATE docs SET updates = ?, bytes = ? WHERE doc = ?'),
    selectLog: db.prepare('SELECT seq, data FROM updates WHERE doc = ? ORDER BY seq'),
    selectLogSince: db.prepare('SELECT data FROM updates WHERE doc = ? AND seq > ? ORDER BY seq'),
    deleteLogThrough: db.prepare('DELETE FROM updates WHERE doc = ? AND seq <= ?'),
    changesSince: db.prepare(
      'SELECT doc AS docId, seq FROM docs WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    getPeer: db.prepare('SELECT epoch, seq FROM peers WHERE peer = ?'),
    upsertPeer: db.prepare(
      `INSERT INTO peers (peer, epoch, seq) VALUES (?, ?, ?)
       ON CONFLICT (peer) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq`,
    ),
  }
}
