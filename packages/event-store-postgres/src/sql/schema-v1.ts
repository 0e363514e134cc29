/**
 * Version 1 of the schema: tables and indexes. `s` is the schema name, already validated and
 * quoted ({@link quoteSchema}). Only `CREATE ... IF NOT EXISTS`, so running it twice is harmless
 * (the migration lock makes sure it never runs twice at once anyway).
 *
 * Choices (README "Design" says why):
 * - `events.position` is `(xid << 16) | index` of the transaction that wrote it: unique, and
 *   ordered like the transactions' ids, so "every transaction below the horizon has finished"
 *   becomes a range condition on the primary key. No separate `tx_id` column is needed.
 * - `data` and `metadata` are `json`, not `jsonb`: `json` keeps the text exactly (key order, a
 *   `\u0000` inside a string, which `jsonb` refuses), and costs no conversion on insert. Cast to
 *   `jsonb` in ad-hoc queries.
 * - `streams` holds only what stream commands set (metadata, soft delete, tombstone), a cache of
 *   the `$$<stream>` system events written in the same transaction; a stream's last revision and
 *   position, and its metadata revision, are read from `events` (one index probe each), so an
 *   append writes nothing but its events.
 */
export function schemaV1(s: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${s}.events (
  position     bigint      NOT NULL,
  stream_name  text        NOT NULL,
  revision     bigint      NOT NULL,
  event_id     uuid        NOT NULL,
  type         text        NOT NULL,
  data         json        NOT NULL,
  metadata     json,
  recorded_at  timestamptz NOT NULL,
  CONSTRAINT events_pkey PRIMARY KEY (position),
  CONSTRAINT events_stream_revision_key UNIQUE (stream_name, revision),
  CONSTRAINT events_event_id_key UNIQUE (event_id),
  CONSTRAINT events_revision_check CHECK (revision >= 0)
);

CREATE TABLE IF NOT EXISTS ${s}.streams (
  stream_name        text    NOT NULL,
  deleted_before     bigint,
  tombstoned         boolean NOT NULL DEFAULT false,
  metadata           json,
  CONSTRAINT streams_pkey PRIMARY KEY (stream_name)
);

CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
  subscription_id  text        NOT NULL,
  position         bigint      NOT NULL,
  event_id         uuid        NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT checkpoints_pkey PRIMARY KEY (subscription_id)
);

CREATE TABLE IF NOT EXISTS ${s}.snapshots (
  key             text        NOT NULL,
  position        bigint      NOT NULL,
  schema_version  integer     NOT NULL,
  state           json        NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT snapshots_pkey PRIMARY KEY (key)
);
`
}
