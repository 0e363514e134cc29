/*
 * Errors of the store packages shown to a person: the stable `code` (never the class, which the
 * packages are free to rename) and a sentence saying what it means for the operator. Only `code`
 * and the public fields the packages document are read.
 */

/** What the command line shows for an error: its code, a plain sentence, and the package's message. */
export interface PlainError {
  readonly code: string
  readonly sentence: string
  readonly message: string
}

const SENTENCES: Readonly<Record<string, string>> = {
  LOCKED: 'another process holds the store\'s writer lock; stop it first, or use a read-only command (info, verify, dump)',
  NOT_FOUND: 'there is no store at that path',
  EXISTS: 'a store is already there',
  READ_ONLY: 'the files cannot be written by this user (or the store was opened read-only)',
  ENOTDIR: 'the path, or one of its parents, is a file where a directory is needed',
  EISDIR: 'the path is a directory where a file is needed',
  UNSUPPORTED_VERSION: 'a newer release of Quire wrote this store; upgrade @quire/cli to read it (nothing was changed)',
  UNSUPPORTED: 'this store or backend does not offer that operation',
  CORRUPT: 'stored data is damaged where valid data must be (a checksum, layout or link failed; not a torn tail); the message says where, and for a log `quire repair` shows what each recovery mode would do',
  WRITE_FAILED: 'a write failed (the disk said why) and was rolled back; nothing of it was stored and the store goes on',
  NOT_NDJSON_LOG: 'the file is not a Quire NDJSON log',
  INVALID_ARGUMENT: 'an argument or option is not valid',
  INVALID_PATH: 'a name in the path is not allowed',
  NOT_A_STORE: 'no Quire store was recognised at that path',
  KIND_MISMATCH: 'the store at that path is not of the --kind given (its files are missing); nothing was read as that kind',
  TARGET_NOT_EMPTY: 'the import target is not empty; import only into a new path or an empty directory',
  EXPORT_INCOMPLETE: 'the export lines are incomplete (no header, no end line, or a count that does not match): the export was cut off or failed; nothing was imported',
  IMPORT_MISMATCH: 'the copy does not match its source',
  POISONED: 'an earlier write or sync failed; reopen the store',
  STREAM_NOT_FOUND: 'no such stream in this event store (or it was soft-deleted with nothing after)',
  STREAM_DELETED: 'the stream was tombstoned (deleted for good)',
  ENOENT: 'a file or directory is missing',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'the disk is full',
  ECONNREFUSED: 'the PostgreSQL server refused the connection (is it running, is the port right?)',
  SCHEMA_VERSION: 'the PostgreSQL schema is missing or of another version (import creates it; other commands need it migrated)',
}

/** The code of any thrown value: `err.code` when it is a string, else `ERROR`. */
export function codeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code
  return 'ERROR'
}

/** The message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * The packages' messages speak to programmers (open options); a command-line user has no such
 * option: each phrase is said in the command line's terms instead.
 */
const API_PHRASES: readonly (readonly [RegExp, string])[] = [
  [/,? and readOnly: true creates nothing/g, ' (quire reads without creating anything)'],
  [/,? and createIfMissing is false/g, ' (quire never creates a store there)'],
  [/open the store with readOnly: true to read it/g, 'read it with a read-only command (info, verify, dump)'],
  [/(was )?opened with readOnly: true/g, '$1opened read-only'],
]

/** `message` in the command line's terms (see {@link API_PHRASES}). */
export const forCliUser = (message: string): string => API_PHRASES.reduce((m, [from, to]) => m.replace(from, to), message)

/** An error as a person should read it. */
export function plainError(err: unknown): PlainError {
  const code = codeOf(err)
  return { code, sentence: SENTENCES[code] ?? 'the command failed', message: forCliUser(messageOf(err)) }
}
