/**
 * The schema of the relay's SQLite database and its versioning.
 *
 * - `updates(seq, doc, data)`: every stored Yjs update, keyed by its
 *   store-wide sequence number; a compacted document has one snapshot row
 *   that carries the sequence of the newest update it replaced. Read per
 *   document through the index `(doc, seq)`.
 * - `docs(doc, seq, updates, bytes)`: one row per document with the
 *   sequence of its latest change and the size of its log. The unique index
 *   on `seq` answers "documents changed since N" in time proportional to
 *   the answer, whatever the number of documents stored.
 * - `peers(peer, epoch, seq)`: the mesh cursor of each peer.
 * - `meta(key, value)`: the epoch, the head sequence and the totals.
 *
 * `PRAGMA application_id` marks the file as a feedmesh relay database;
 * `PRAGMA user_version` is the schema version. A database of a newer version
 * is refused with `newer-schema`; a foreign SQLite database with `corrupt`.
 */
import type Database from 'better-sqlite3'
import { StoreError, StoreErrorCodes } from './storeErrors.js'

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = 1

/** `PRAGMA application_id` of a feedmesh relay database ("FMRL"). */
export const APPLICATION_ID = 0x464d524c

const createV1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;
CREATE TABLE updates (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX updates_by_doc ON updates (doc, seq);
CREATE TABLE docs (
  doc TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  updates INTEGER NOT NULL,
  bytes INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX docs_by_seq ON docs (seq);
CREATE TABLE peers (peer TEXT PRIMARY KEY, epoch TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
`

/**
 * Creates the schema in an empty database, or checks that an existing one
 * is ours and of a version this code knows. Returns true when it created
 * the schema. Throws `newer-schema` or `corrupt` (naming `file`).
 */
export function migrate(db: Database.Database, file: string): boolean {
  const version = db.pragma('user_version', { simple: true })
  const appId = db.pragma('application_id', { simple: true })
  const tables = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sqlite_schema').get()
  if (version === 0 && appId === 0 && tables?.n === 0) {
    db.transaction(() => {
      db.exec(createV1)
      db.pragma(`application_id = ${APPLICATION_ID}`)
      db.pragma(`user_version = ${SCHEMA_VERSION}`)
    }).immediate()
    return true
  }
  if (appId !== APPLICATION_ID) {
    throw new StoreError(
      StoreErrorCodes.Corrupt,
      `${file} is a SQLite database but not a feedmesh relay database (application_id ${String(appId)})`,
    )
  }
  if (typeof version !== 'number' || version > SCHEMA_VERSION) {
    throw new StoreError(
      StoreErrorCodes.NewerSchema,
      `${file} has schema version ${String(version)}, newer than the ${SCHEMA_VERSION} this relay knows: run a newer feedmesh relay`,
    )
  }
  if (version < 1) {
    throw new StoreError(StoreErrorCodes.Corrupt, `${file} has no schema version`)
  }
  return false
}
