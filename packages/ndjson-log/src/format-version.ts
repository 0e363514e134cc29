// The format's name and version, on their own: the public entry point re-exports them without
// the encoder's declarations (which use Node's Buffer).

/** The magic every log file starts with (the header's `format` field). */
export const FORMAT_MAGIC = 'quire-ndjson-log'

/** The format version this code writes and reads. */
export const FORMAT_VERSION = 1
