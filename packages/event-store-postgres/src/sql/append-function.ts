/**
 * `<schema>.append(...)`: one atomic append of one or more streams, in one round trip.
 *
 * Arguments (parallel arrays; the driver builds them):
 * - per request: `p_streams text[]`, `p_expected bigint[]` (`-1` any, `-2` no_stream,
 *   `-3` stream_exists, `n >= 0` exact), `p_counts int[]` (events in the request);
 * - per event, requests' events one after another: `p_ids uuid[]`, `p_types text[]`,
 *   `p_data json[]`, `p_metadata json[]` (SQL NULL: none);
 * - `p_check_ids`: look the ids up before writing. False lets a one-stream append skip that
 *   (an id already there then fails the insert with 23505, and the driver calls again with true).
 *
 * Returns one row per request, in request order: `first_revision` (revision of its first event),
 * `last_position`, `replayed` (an exact retry: nothing written, the original results returned),
 * and `tx_base` (`xid << 16`: event k of the whole call, 0-based, is at `tx_base | k`; null when
 * nothing was written) with `recorded_at`, and `next_xid`: the next transaction id the server
 * would hand out, seen after the insert (the driver's ReleaseOrder uses it).
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
 * `SET enable_seqscan = off`: every statement here is an index probe. PL/pgSQL caches each
 * statement's plan for the session; a plan made while the table was small (a seq scan) would
 * otherwise be kept while the table grows (measured: 4 ms per append at 20 000 events).
 *
 * No `pg_notify` here: a transaction that notifies takes a database-wide lock from before its
 * commit record until its end, which would serialize the commit flushes of all appenders. The
 * driver sends the wake-up after commit, outside the append (README "Wake-ups").
 */
export function appendFunction(s: string, lockPrefix: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.raise_duplicate(p_request int, p_id uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $fn$
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
  p_ids uuid[], p_types text[], p_data json[], p_metadata json[], p_check_ids boolean
) RETURNS TABLE (first_revision bigint, last_position bigint, replayed boolean, tx_base bigint, recorded_at timestamptz, next_xid bigint)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $fn$
DECLARE
  v_n       int := coalesce(cardinality(p_streams), 0);
  v_events  int := coalesce(cardinality(p_ids), 0);
  v_key     bigint;
  v_offset  int := 0;
  v_cnt     int;
  v_last    bigint;
  v_delbef  bigint;
  v_tomb    boolean;
  v_found   boolean;
  v_visible boolean;
  v_exp     bigint;
  v_base    bigint;
  v_stream  text;
  v_rev     bigint;
  v_pos     bigint;
  v_dup_id  uuid;
  v_boundary bigint;
  v_before  bigint;
  v_first   bigint[];
  v_lasts   bigint[];
  v_delbefs bigint[];
  v_lpos    bigint[];
  v_replay  boolean[];
  v_off     int[];
  v_req     int[] := '{}';
  v_replays int := 0;
  v_tx      bigint;
  v_now     timestamptz := now();
BEGIN
  IF v_n = 0 OR v_events = 0 OR v_events > 65535 OR cardinality(p_expected) <> v_n OR cardinality(p_counts) <> v_n
     OR cardinality(p_types) <> v_events OR cardinality(p_data) <> v_events OR cardinality(p_metadata) <> v_events THEN
    RAISE EXCEPTION USING ERRCODE = 'QR004', MESSAGE = 'QUIRE_INVALID_ARGUMENT: malformed append arguments';
  END IF;
  -- Positions are only safe if the transaction id comes after the locks (below).
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'QR004', MESSAGE = 'QUIRE_INVALID_ARGUMENT: append must be the first write of its transaction';
  END IF;

  -- The common case, one stream and new ids: the same rules in fewer statements. The ids are
  -- not looked up first: an id already in the store fails the insert on its unique index
  -- (23505 on events_event_id_key), which undoes everything, and the driver calls again with
  -- p_check_ids, which takes the general path below (the idempotency rule).
  IF v_n = 1 AND NOT p_check_ids THEN
    IF p_counts[1] <> v_events THEN
      RAISE EXCEPTION USING ERRCODE = 'QR004', MESSAGE = 'QUIRE_INVALID_ARGUMENT: malformed append arguments';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(${lockPrefix} || p_streams[1], 0));
    SELECT st.deleted_before, st.tombstoned INTO v_delbef, v_tomb FROM ${s}.streams st WHERE st.stream_name = p_streams[1];
    IF v_tomb THEN
      RAISE EXCEPTION USING ERRCODE = 'QR003', MESSAGE = 'QUIRE_STREAM_DELETED', DETAIL = '{"request": 1}';
    END IF;
    SELECT e.revision INTO v_last FROM ${s}.events e WHERE e.stream_name = p_streams[1] ORDER BY e.revision DESC LIMIT 1;
    v_last := coalesce(v_last, -1);
    v_exp := p_expected[1];
    v_visible := v_last >= 0 AND v_last >= coalesce(v_delbef, 0);
    -- An unmet expectation may still be an exact retry (the idempotency rule comes first):
    -- the general path below decides.
    IF v_exp = -1 OR (v_exp = -2 AND NOT v_visible) OR (v_exp = -3 AND v_visible)
       OR (v_exp >= 0 AND v_visible AND v_last = v_exp) THEN
      v_tx := pg_current_xact_id()::text::bigint << 16;
      IF v_events = 1 THEN
        INSERT INTO ${s}.events (position, stream_name, revision, event_id, type, data, metadata, recorded_at)
        VALUES (v_tx, p_streams[1], v_last + 1, p_ids[1], p_types[1], p_data[1], p_metadata[1], v_now);
      ELSE
        INSERT INTO ${s}.events (position, stream_name, revision, event_id, type, data, metadata, recorded_at)
        SELECT v_tx | (u.ord - 1), p_streams[1], v_last + u.ord, u.id, u.type, u.data, u.meta, v_now
          FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, type, data, meta, ord);
      END IF;
      first_revision := v_last + 1;
      last_position := v_tx | (v_events - 1);
      replayed := false;
      tx_base := v_tx;
      recorded_at := v_now;
      next_xid := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  IF (v_n = 1 AND p_counts[1] <> v_events) OR (v_n > 1 AND (SELECT sum(c) FROM unnest(p_counts) c) <> v_events) THEN
    RAISE EXCEPTION USING ERRCODE = 'QR004', MESSAGE = 'QUIRE_INVALID_ARGUMENT: malformed append arguments';
  END IF;
  IF v_n = 1 THEN
    -- (Taken already when the fast path above fell through; advisory locks are reentrant.)
    PERFORM pg_advisory_xact_lock(hashtextextended(${lockPrefix} || p_streams[1], 0));
  ELSE
    -- 1. Every target stream's lock, in key order, before the first write.
    FOR v_key IN SELECT DISTINCT hashtextextended(${lockPrefix} || x, 0) FROM unnest(p_streams) x ORDER BY 1 LOOP
      PERFORM pg_advisory_xact_lock(v_key);
    END LOOP;
  END IF;

  v_first := array_fill(NULL::bigint, ARRAY[v_n]);
  v_lasts := array_fill(NULL::bigint, ARRAY[v_n]);
  v_delbefs := array_fill(NULL::bigint, ARRAY[v_n]);
  v_lpos := array_fill(NULL::bigint, ARRAY[v_n]);
  v_replay := array_fill(false, ARRAY[v_n]);
  v_off := array_fill(0, ARRAY[v_n]);

  -- 2a. Tombstones and the idempotency rule, for every request first (as the embedded driver
  -- does). One statement reads what a request needs: its stream's command state, its last
  -- revision, and whether any of its ids is already in the store.
  FOR i IN 1 .. v_n LOOP
    v_cnt := p_counts[i];
    v_off[i] := v_offset;
    v_req := v_req || array_fill(i, ARRAY[v_cnt]);
    v_offset := v_offset + v_cnt;
    SELECT (SELECT st.deleted_before FROM ${s}.streams st WHERE st.stream_name = p_streams[i]),
           (SELECT st.tombstoned FROM ${s}.streams st WHERE st.stream_name = p_streams[i]),
           (SELECT e.revision FROM ${s}.events e WHERE e.stream_name = p_streams[i] ORDER BY e.revision DESC LIMIT 1),
           EXISTS (SELECT 1 FROM ${s}.events e WHERE e.event_id = ANY (p_ids[v_off[i] + 1 : v_off[i] + v_cnt]))
      INTO v_delbef, v_tomb, v_last, v_found;
    v_delbefs[i] := v_delbef;
    v_lasts[i] := coalesce(v_last, -1);
    IF coalesce(v_tomb, false) THEN
      RAISE EXCEPTION USING ERRCODE = 'QR003', MESSAGE = 'QUIRE_STREAM_DELETED',
        DETAIL = json_build_object('request', i)::text;
    END IF;
    CONTINUE WHEN NOT v_found;

    -- Some id exists: an exact retry (every id in this stream, at consecutive revisions, and
    -- an expectation the original append could have had) replays; anything else names an id.
    v_dup_id := NULL;
    v_base := NULL;
    FOR j IN 1 .. v_cnt LOOP
      v_stream := NULL;
      SELECT e.stream_name, e.revision, e.position INTO v_stream, v_rev, v_pos FROM ${s}.events e WHERE e.event_id = p_ids[v_off[i] + j];
      IF j = 1 THEN
        IF v_stream IS NULL THEN
          -- The first id is new: name the first id that is not.
          SELECT x.id INTO v_dup_id FROM unnest(p_ids[v_off[i] + 1 : v_off[i] + v_cnt]) WITH ORDINALITY AS x(id, ord)
            WHERE EXISTS (SELECT 1 FROM ${s}.events e WHERE e.event_id = x.id) ORDER BY x.ord LIMIT 1;
          EXIT;
        END IF;
        v_base := v_rev;
      END IF;
      IF v_stream IS NULL THEN
        v_dup_id := p_ids[v_off[i] + 1];
        EXIT;
      ELSIF v_stream <> p_streams[i] OR v_rev <> v_base + j - 1 THEN
        v_dup_id := p_ids[v_off[i] + j];
        EXIT;
      END IF;
    END LOOP;
    IF v_dup_id IS NULL THEN
      -- The expectation must have held when the original was written: what the stream showed
      -- just before revision v_base, given the soft deletes made before it (a delete made
      -- before that write has deletedBefore <= v_base; one made after, a larger value).
      SELECT coalesce(max((e.data ->> 'deletedBefore')::bigint), 0) INTO v_boundary
        FROM ${s}.events e
       WHERE e.stream_name = '$$' || p_streams[i] AND e.type = '$deleted'
         AND (e.data ->> 'deletedBefore')::bigint <= v_base;
      v_before := CASE WHEN v_base - 1 >= v_boundary THEN v_base - 1 END;
      v_exp := p_expected[i];
      IF v_exp = -1 OR (v_exp = -2 AND v_before IS NULL) OR (v_exp = -3 AND v_before IS NOT NULL)
         OR (v_exp >= 0 AND v_before = v_exp) THEN
        v_first[i] := v_base;
        v_lpos[i] := v_pos;
        v_replay[i] := true;
        v_replays := v_replays + 1;
        CONTINUE;
      END IF;
      v_dup_id := p_ids[v_off[i] + 1];
    END IF;
    PERFORM ${s}.raise_duplicate(i, v_dup_id);
  END LOOP;

  IF v_replays < v_n THEN
    IF v_replays > 0 THEN
      -- Some requests are exact retries and some are new: not a retry of one append.
      FOR i IN 1 .. v_n LOOP
        IF v_replay[i] THEN
          PERFORM ${s}.raise_duplicate(i, p_ids[v_off[i] + 1]);
        END IF;
      END LOOP;
    END IF;

    -- 2b. Expected revisions, against committed state (read above, under the locks). A
    -- soft-deleted stream with nothing after the delete counts as no stream.
    FOR i IN 1 .. v_n LOOP
      v_last := v_lasts[i];
      v_exp := p_expected[i];
      v_visible := v_last >= 0 AND v_last >= coalesce(v_delbefs[i], 0);
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

  next_xid := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
  FOR i IN 1 .. v_n LOOP
    first_revision := v_first[i];
    IF v_replay[i] THEN
      last_position := v_lpos[i];
      replayed := true;
    ELSE
      last_position := v_tx | (v_off[i] + p_counts[i] - 1);
      replayed := false;
    END IF;
    tx_base := v_tx;
    recorded_at := v_now;
    RETURN NEXT;
  END LOOP;
END
$fn$;
`
}
