/**
 * `<schema>.append(...)`: one atomic append of one or more streams, in one round trip.
 *
 * Arguments (parallel arrays; the driver builds them):
 * - per request: `p_streams text[]`, `p_expected bigint[]` (`-1` any, `-2` no_stream,
 *   `-3` stream_exists, `n >= 0` exact), `p_counts int[]` (events in the request);
 * - per event, requests' events one after another: `p_ids uuid[]`, `p_types text[]`,
 *   `p_data json[]`, `p_metadata json[]` (SQL NULL: none).
 *
 * Returns one row per request, in request order: `first_revision` (revision of its first event),
 * `last_position`, `replayed` (an exact retry: nothing written, the original results returned),
 * and `tx_base` (`xid << 16`: event k of the whole call, 0-based, is at `tx_base | k`; null when
 * nothing was written) with `recorded_at`.
 *
 * Order of work (EVENT-STORE.md (c)):
 * 1. `pg_advisory_xact_lock` on every target stream, in ascending key order (no deadlock),
 *    before anything is written. Locks do not assign a transaction id, so the transaction gets
 *    its xid only afterwards, at `pg_current_xact_id()`: two appends that share a stream get xids
 *    (hence positions) in the order they wrote it, and a later revision never sorts before an
 *    earlier one in `$all`.
 * 2. The checks, in the embedded driver's order: for every request its tombstone and the
 *    idempotency rule (all requests exact retries: return the original results, write nothing;
 *    some but not all: `DUPLICATE_EVENT_ID`), then every request's expected revision. Each
 *    refusal raises its own SQLSTATE in class `QR` with a JSON detail, which the driver maps to
 *    the error class. Under READ COMMITTED each statement sees what the previous lock holder
 *    committed (locks are released after the commit became visible).
 * 3. One INSERT of every event; unique `(stream_name, revision)` and `event_id` are the backstop.
 *
 * No `pg_notify` here: a transaction that notifies takes a database-wide lock from before its
 * commit record until its end, which would serialize the commit flushes of all appenders. The
 * driver sends the wake-up after commit, outside the append (README "Wake-ups").
 */
export function appendFunction(s: string, lockPrefix: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.raise_duplicate(p_request int, p_id uuid) RETURNS void
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_stream   text;
  v_revision bigint;
BEGIN
  SELECT e.stream_name, e.revision INTO v_stream, v_revision FROM ${s}.events e WHERE e.event_id = p_id;
  RAISE EXCEPTION USING ERRCODE = 'QR002', MESSAGE = 'QUIRE_DUPLICATE_EVENT_ID',
    DETAIL = json_build_object('request', p_request, 'eventId', p_id, 'streamName', v_stream, 'revision', v_revision)::text;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.append(
  p_streams text[], p_expected bigint[], p_counts int[],
  p_ids uuid[], p_types text[], p_data json[], p_metadata json[]
) RETURNS TABLE (first_revision bigint, last_position bigint, replayed boolean, tx_base bigint, recorded_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_n       int := cardinality(p_streams);
  v_events  int := cardinality(p_ids);
  v_key     bigint;
  v_offset  int := 0;
  v_cnt     int;
  v_last    bigint;
  v_delbef  bigint;
  v_tomb    boolean;
  v_visible boolean;
  v_exp     bigint;
  v_found   int;
  v_base_lo bigint;
  v_base_hi bigint;
  v_same    boolean;
  v_lastpos bigint;
  v_first   bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
  v_lpos    bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
  v_replay  boolean[] := array_fill(false, ARRAY[v_n]);
  v_req     int[] := '{}';
  v_off     int[] := array_fill(0, ARRAY[v_n]);
  v_replays int := 0;
  v_delbefs bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
  v_dup_id  uuid;
  v_tx      bigint;
  v_now     timestamptz := now();
BEGIN
  IF v_n IS NULL OR v_n = 0 OR cardinality(p_expected) <> v_n OR cardinality(p_counts) <> v_n
     OR v_events IS NULL OR cardinality(p_types) <> v_events OR cardinality(p_data) <> v_events
     OR cardinality(p_metadata) <> v_events OR (SELECT sum(c) FROM unnest(p_counts) c) <> v_events
     OR v_events > 65535 THEN
    RAISE EXCEPTION USING ERRCODE = 'QR004', MESSAGE = 'QUIRE_INVALID_ARGUMENT: malformed append arguments';
  END IF;
  -- Positions are only safe if the transaction id comes after the locks (below).
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'QR004', MESSAGE = 'QUIRE_INVALID_ARGUMENT: append must be the first write of its transaction';
  END IF;

  -- 1. Every target stream's lock, in key order, before the first write.
  IF v_n = 1 THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(${lockPrefix} || p_streams[1], 0));
  ELSE
    FOR v_key IN SELECT DISTINCT hashtextextended(${lockPrefix} || x, 0) FROM unnest(p_streams) x ORDER BY 1 LOOP
      PERFORM pg_advisory_xact_lock(v_key);
    END LOOP;
  END IF;

  -- 2a. Tombstones and the idempotency rule, for every request first (as the embedded driver
  -- does): ids are unique store-wide; an exact retry returns the original result whatever the
  -- stream looks like now; any other reuse of an id is refused.
  FOR i IN 1 .. v_n LOOP
    v_cnt := p_counts[i];
    v_off[i] := v_offset;
    v_req := v_req || array_fill(i, ARRAY[v_cnt]);
    v_offset := v_offset + v_cnt;
    SELECT st.deleted_before, st.tombstoned INTO v_delbef, v_tomb FROM ${s}.streams st WHERE st.stream_name = p_streams[i];
    v_delbefs[i] := v_delbef;
    IF coalesce(v_tomb, false) THEN
      RAISE EXCEPTION USING ERRCODE = 'QR003', MESSAGE = 'QUIRE_STREAM_DELETED',
        DETAIL = json_build_object('request', i)::text;
    END IF;

    SELECT count(e.event_id)::int,
           min(e.revision - (x.ord - 1)), max(e.revision - (x.ord - 1)),
           coalesce(bool_and(e.stream_name = p_streams[i]), true),
           max(e.position) FILTER (WHERE x.ord = v_cnt)
      INTO v_found, v_base_lo, v_base_hi, v_same, v_lastpos
      FROM unnest(p_ids[v_off[i] + 1 : v_off[i] + v_cnt]) WITH ORDINALITY AS x(id, ord)
      LEFT JOIN ${s}.events e ON e.event_id = x.id;
    CONTINUE WHEN v_found = 0;

    v_exp := p_expected[i];
    IF v_found = v_cnt AND v_same AND v_base_lo = v_base_hi
       AND (v_exp = -1 OR v_exp = v_base_lo - 1
            OR (v_exp = -2 AND (v_base_lo = 0 OR v_base_lo = v_delbef))
            OR (v_exp = -3 AND v_base_lo > 0 AND v_base_lo - 1 >= coalesce(v_delbef, 0))) THEN
      v_first[i] := v_base_lo;
      v_lpos[i] := v_lastpos;
      v_replay[i] := true;
      v_replays := v_replays + 1;
      CONTINUE;
    END IF;
    -- Which id to name: the first one found when the first is new; else the first one out of
    -- place (the first id when one is missing or all are in place but the expectation is not).
    SELECT e.revision INTO v_base_lo FROM ${s}.events e WHERE e.event_id = p_ids[v_off[i] + 1];
    IF v_base_lo IS NULL THEN
      SELECT x.id INTO v_dup_id FROM unnest(p_ids[v_off[i] + 1 : v_off[i] + v_cnt]) WITH ORDINALITY AS x(id, ord)
        JOIN ${s}.events e ON e.event_id = x.id ORDER BY x.ord LIMIT 1;
    ELSE
      SELECT CASE WHEN e.event_id IS NULL THEN p_ids[v_off[i] + 1] ELSE x.id END INTO v_dup_id
        FROM unnest(p_ids[v_off[i] + 1 : v_off[i] + v_cnt]) WITH ORDINALITY AS x(id, ord)
        LEFT JOIN ${s}.events e ON e.event_id = x.id
       WHERE e.event_id IS NULL OR e.stream_name <> p_streams[i] OR e.revision <> v_base_lo + x.ord - 1
       ORDER BY x.ord LIMIT 1;
      v_dup_id := coalesce(v_dup_id, p_ids[v_off[i] + 1]);
    END IF;
    PERFORM ${s}.raise_duplicate(i, v_dup_id);
  END LOOP;

  IF v_replays = v_n THEN
    v_tx := NULL;
  ELSE
    IF v_replays > 0 THEN
      -- Some requests are exact retries and some are new: not a retry of one append.
      FOR i IN 1 .. v_n LOOP
        IF v_replay[i] THEN
          PERFORM ${s}.raise_duplicate(i, p_ids[v_off[i] + 1]);
        END IF;
      END LOOP;
    END IF;

    -- 2b. Expected revisions, against committed state. A soft-deleted stream with nothing after
    -- the delete counts as no stream.
    FOR i IN 1 .. v_n LOOP
      SELECT e.revision INTO v_last FROM ${s}.events e WHERE e.stream_name = p_streams[i] ORDER BY e.revision DESC LIMIT 1;
      v_last := coalesce(v_last, -1);
      v_delbef := v_delbefs[i];
      v_exp := p_expected[i];
      v_visible := v_last >= 0 AND v_last >= coalesce(v_delbef, 0);
      IF NOT (v_exp = -1 OR (v_exp = -2 AND NOT v_visible) OR (v_exp = -3 AND v_visible)
              OR (v_exp >= 0 AND v_visible AND v_last = v_exp)) THEN
        RAISE EXCEPTION USING ERRCODE = 'QR001', MESSAGE = 'QUIRE_WRONG_EXPECTED_VERSION',
          DETAIL = json_build_object('request', i, 'actual', CASE WHEN v_visible THEN v_last END)::text;
      END IF;
      v_first[i] := v_last + 1;
    END LOOP;

    -- 3. The writes. The transaction id is assigned here, after every lock is held.
    v_tx := pg_current_xact_id()::text::bigint << 16;
    INSERT INTO ${s}.events (position, stream_name, revision, event_id, type, data, metadata, recorded_at)
    SELECT v_tx | (u.ord - 1), p_streams[v_req[u.ord]], v_first[v_req[u.ord]] + (u.ord - 1 - v_off[v_req[u.ord]]),
           u.id, u.type, u.data, u.meta, v_now
      FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, type, data, meta, ord);
  END IF;

  v_offset := 0;
  FOR i IN 1 .. v_n LOOP
    first_revision := v_first[i];
    IF v_replay[i] THEN
      last_position := v_lpos[i];
      replayed := true;
    ELSE
      last_position := v_tx | (v_offset + p_counts[i] - 1);
      replayed := false;
    END IF;
    tx_base := v_tx;
    recorded_at := v_now;
    v_offset := v_offset + p_counts[i];
    RETURN NEXT;
  END LOOP;
END
$fn$;
`
}
