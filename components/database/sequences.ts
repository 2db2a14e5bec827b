/**
 * Per-node primary keys for active-active writes. Paperless uses int4 serial/identity keys; two
 * nodes inserting at once would draw the same value. Every sequence steps by `stride` (pgactive's
 * max_nodes) and each node keeps its own residue (its id), so node keys never meet. The next value
 * is placed past both the table's highest key (rows replicated from other nodes) and the
 * sequence's own position. The change stays local: sequence positions are per node by design.
 */
export function renderPkOffsetsSql(stride: number, nodeId: number): string {
    if (!Number.isInteger(stride) || stride < 1) throw new Error(`stride must be a positive integer, got ${stride}`);
    if (!Number.isInteger(nodeId) || nodeId < 1 || nodeId > stride) throw new Error(`node id must be in 1..${stride}, got ${nodeId}`);
    const residue = nodeId % stride;
    return `SET pgactive.skip_ddl_replication = on;
DO $pk$
DECLARE
    r record;
    hi bigint;
    seen bigint;
    nxt bigint;
BEGIN
    FOR r IN
        SELECT s.oid::regclass AS seq, t.oid::regclass AS tbl, a.attname AS col
        FROM pg_class s
        JOIN pg_namespace ns ON ns.oid = s.relnamespace
        JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE s.relkind = 'S' AND ns.nspname NOT IN ('pg_catalog', 'information_schema', 'pgactive')
        ORDER BY 1
    LOOP
        -- Hold off local inserts while the sequence moves.
        EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', r.tbl);
        EXECUTE format('ALTER SEQUENCE %s INCREMENT BY ${stride}', r.seq);
        EXECUTE format('SELECT coalesce(max(%I), 0) FROM %s', r.col, r.tbl) INTO hi;
        -- The highest value the sequence may have handed out (pg_sequence_last_value says NULL
        -- right after a setval(…, false), as the last run left it).
        EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s', r.seq) INTO seen;
        hi := greatest(hi, seen);
        nxt := hi + 1 + ((${residue} - (hi + 1)) % ${stride} + ${stride}) % ${stride};
        PERFORM setval(r.seq, nxt, false);
    END LOOP;
END
$pk$;
`;
}
