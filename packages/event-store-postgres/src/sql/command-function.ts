/**
 * `<schema>.stream_command(kind, stream, expected, data)`: one stream command (metadata, soft
 * delete, tombstone) as one transaction: a system event in the stream's `$$<stream>` stream (as
 * KurrentDB keeps metadata, and as `@quire/event-store`'s embedded driver does, with the same
 * event types and data) plus the `streams` row that caches its effect.
 *
 * - `p_kind`: `'metadata'` (`p_data` is the new metadata, whole; `p_expected` is checked against
 *   the metadata revision, the last revision of `$$<stream>`, `-1` when none), `'delete'` or
 *   `'tombstone'` (`p_expected` is checked against the stream's own state, as an append does).
 * - `p_expected`: `-1` any, `-2` no_stream, `-3` stream_exists, `n >= 0` exact.
 *
 * Takes the stream's own append lock, so commands and appends of one stream are serialized and
 * the `$$` event gets its transaction id after the lock, like an append. `p_event_id` is the
 * system event's id. Returns the system event's position, its revision in `$$<stream>` (the new
 * metadata revision), its time and its data.
 */
export function commandFunction(s: string, lockPrefix: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.stream_command(p_kind text, p_stream text, p_expected bigint, p_data json, p_event_id uuid)
RETURNS TABLE (event_position bigint, event_revision bigint, recorded_at timestamptz, event_data json, event_type text, next_xid bigint)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $fn$
DECLARE
  v_tomb    boolean;
  v_delbef  bigint;
  v_last    bigint;
  v_meta    bigint;
  v_visible boolean;
  v_actual  bigint;
  v_type    text;
  v_data    json;
  v_tx      bigint;
  v_now     timestamptz := now();
BEGIN
  IF p_kind NOT IN ('metadata', 'delete', 'tombstone') OR p_stream IS NULL OR p_event_id IS NULL OR p_expected IS NULL OR p_expected < -3 THEN
    RAISE EXCEPTION USING ERRCODE = 'QR004', MESSAGE = 'QUIRE_INVALID_ARGUMENT: malformed stream command';
  END IF;
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'QR004', MESSAGE = 'QUIRE_INVALID_ARGUMENT: a stream command must be the first write of its transaction';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended(${lockPrefix} || p_stream, 0));

  SELECT st.deleted_before, st.tombstoned INTO v_delbef, v_tomb FROM ${s}.streams st WHERE st.stream_name = p_stream;
  IF coalesce(v_tomb, false) THEN
    RAISE EXCEPTION USING ERRCODE = 'QR003', MESSAGE = 'QUIRE_STREAM_DELETED', DETAIL = json_build_object('request', 1)::text;
  END IF;
  SELECT e.revision INTO v_meta FROM ${s}.events e WHERE e.stream_name = '$$' || p_stream ORDER BY e.revision DESC LIMIT 1;
  v_meta := coalesce(v_meta, -1);
  SELECT e.revision INTO v_last FROM ${s}.events e WHERE e.stream_name = p_stream ORDER BY e.revision DESC LIMIT 1;
  v_last := coalesce(v_last, -1);

  IF p_kind = 'metadata' THEN
    v_visible := v_meta >= 0;
    v_actual := v_meta;
    v_type := '$metadata';
    v_data := p_data;
  ELSE
    v_visible := v_last >= 0 AND (v_delbef IS NULL OR v_last >= v_delbef);
    v_actual := v_last;
    IF p_kind = 'delete' THEN
      v_type := '$deleted';
      v_data := json_build_object('deletedBefore', v_last + 1);
    ELSE
      v_type := '$tombstone';
      v_data := '{}'::json;
    END IF;
  END IF;
  IF NOT (p_expected = -1 OR (p_expected = -2 AND NOT v_visible) OR (p_expected = -3 AND v_visible)
          OR (p_expected >= 0 AND v_visible AND v_actual = p_expected)) THEN
    RAISE EXCEPTION USING ERRCODE = 'QR001', MESSAGE = 'QUIRE_WRONG_EXPECTED_VERSION',
      DETAIL = json_build_object('request', 1, 'actual', CASE WHEN v_visible THEN v_actual END)::text;
  END IF;

  v_tx := pg_current_xact_id()::text::bigint << 16;
  INSERT INTO ${s}.events (position, stream_name, revision, event_id, type, data, metadata, recorded_at)
  VALUES (v_tx, '$$' || p_stream, v_meta + 1, p_event_id, v_type, v_data, NULL, v_now);
  INSERT INTO ${s}.streams AS st (stream_name, deleted_before, tombstoned, metadata)
  VALUES (p_stream,
          CASE WHEN p_kind = 'delete' THEN v_last + 1 END,
          p_kind = 'tombstone',
          CASE WHEN p_kind = 'metadata' THEN p_data END)
  ON CONFLICT (stream_name) DO UPDATE SET
    deleted_before = CASE WHEN p_kind = 'delete' THEN v_last + 1 ELSE st.deleted_before END,
    tombstoned = st.tombstoned OR p_kind = 'tombstone',
    metadata = CASE WHEN p_kind = 'metadata' THEN p_data ELSE st.metadata END;

  event_position := v_tx;
  event_revision := v_meta + 1;
  recorded_at := v_now;
  event_data := v_data;
  event_type := v_type;
  next_xid := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
  RETURN NEXT;
END
$fn$;
`
}
