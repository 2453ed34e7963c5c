namespace Ferry.Stores.Sqlite;

/// <summary>The embedded store's tables. Times are Unix milliseconds (ordering and comparisons in SQL).</summary>
internal static class SqliteSchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS jobs (
            job_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            flow_type TEXT NOT NULL,
            source_endpoint_id TEXT NOT NULL,
            source_path TEXT NOT NULL,
            target_endpoint_id TEXT NOT NULL,
            target_path TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            error_code TEXT,
            error_message TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            next_attempt_at INTEGER,
            execution_region TEXT,
            bytes INTEGER,
            sha256 TEXT,
            batch_id TEXT,
            redrive_of TEXT,
            checkpoint TEXT,
            policy_json TEXT,
            lease_owner TEXT,
            lease_token INTEGER NOT NULL,
            lease_expires_at INTEGER,
            version INTEGER NOT NULL,
            trace_parent TEXT,
            UNIQUE (customer_id, idempotency_key)
        );
        CREATE INDEX IF NOT EXISTS jobs_by_customer ON jobs (customer_id, created_at DESC, job_id DESC);
        -- The dispatcher's queue, in the order it takes jobs (SqliteJobStore.FindRunnableSql), holding
        -- only unfinished jobs. It replaced jobs_by_status (status, next_attempt_at), which nothing
        -- else read (no new schema version: see jobs_by_batch_status).
        DROP INDEX IF EXISTS jobs_by_status;
        CREATE INDEX IF NOT EXISTS jobs_runnable ON jobs (COALESCE(next_attempt_at, lease_expires_at, created_at), job_id)
            WHERE status IN ('QUEUED','RUNNING','VERIFYING');
        CREATE TABLE IF NOT EXISTS job_events (
            job_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            from_status TEXT NOT NULL,
            to_status TEXT NOT NULL,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT,
            PRIMARY KEY (job_id, version)
        );
        -- GET /v1/jobs?status=...: a page read in order, however rare the status. It replaced
        -- jobs_by_customer_status (customer_id, status), which left the planner two choices: walk
        -- jobs_by_customer filtering by status (24 ms for the newest FAILED among 400,000 jobs), or
        -- sort every job of that status. No new schema version (see jobs_by_batch_status).
        DROP INDEX IF EXISTS jobs_by_customer_status;
        CREATE INDEX IF NOT EXISTS jobs_by_customer_status_time ON jobs (customer_id, status, created_at DESC, job_id DESC);
        -- Jobs by customer, status and flow, kept as they change: metrics read them summed over
        -- customers, backpressure (a customer's unfinished jobs) reads a customer's few rows. Both
        -- counted jobs before, in time growing with the queue (32 ms for 270,000 queued jobs). Without
        -- a rowid: the key is the table, one B-tree for the triggers to change.
        CREATE TABLE IF NOT EXISTS job_counts (
            customer_id TEXT NOT NULL,
            status TEXT NOT NULL,
            flow_type TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (customer_id, status, flow_type)
        ) WITHOUT ROWID;
        CREATE TRIGGER IF NOT EXISTS job_counts_insert AFTER INSERT ON jobs BEGIN
            INSERT INTO job_counts (customer_id, status, flow_type, n) VALUES (NEW.customer_id, NEW.status, NEW.flow_type, 1)
            ON CONFLICT (customer_id, status, flow_type) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER IF NOT EXISTS job_counts_update AFTER UPDATE OF status ON jobs WHEN OLD.status <> NEW.status BEGIN
            UPDATE job_counts SET n = n - 1 WHERE customer_id = OLD.customer_id AND status = OLD.status AND flow_type = OLD.flow_type;
            INSERT INTO job_counts (customer_id, status, flow_type, n) VALUES (NEW.customer_id, NEW.status, NEW.flow_type, 1)
            ON CONFLICT (customer_id, status, flow_type) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER IF NOT EXISTS job_counts_delete AFTER DELETE ON jobs BEGIN
            UPDATE job_counts SET n = n - 1 WHERE customer_id = OLD.customer_id AND status = OLD.status AND flow_type = OLD.flow_type;
        END;
        -- A batch's counts by status and flow come from this index alone, not from every job row:
        -- a client long-polling GET /v1/batches/{id} has them counted every 0.1 s (with a
        -- 3,000-job batch, ~0.5 ms of the server's CPU per file it moved). It replaced
        -- jobs_by_batch (customer_id, batch_id); no new schema version, as an older Ferry reading
        -- this file works with either index (and makes its own again, which this drops again).
        DROP INDEX IF EXISTS jobs_by_batch;
        CREATE INDEX IF NOT EXISTS jobs_by_batch_status ON jobs (customer_id, batch_id, status, flow_type) WHERE batch_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (updated_at) WHERE status IN ('SUCCEEDED','FAILED','CANCELLED');
        CREATE TABLE IF NOT EXISTS pruned_jobs (
            job_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            status TEXT NOT NULL,
            finished_at INTEGER NOT NULL,
            UNIQUE (customer_id, idempotency_key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS pruned_jobs_finished ON pruned_jobs (finished_at);
        CREATE TABLE IF NOT EXISTS customers (
            customer_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS api_keys (
            token_hash TEXT PRIMARY KEY,
            key_id TEXT NOT NULL UNIQUE,
            customer_id TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER,
            scope TEXT NOT NULL DEFAULT 'full',
            expires_at INTEGER
        );
        CREATE TABLE IF NOT EXISTS endpoints (
            endpoint_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS endpoints_by_customer ON endpoints (customer_id, endpoint_id);
        CREATE TABLE IF NOT EXISTS concurrency_slots (
            resource TEXT NOT NULL,
            slot INTEGER NOT NULL,
            holder TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (resource, slot)
        );
        CREATE TABLE IF NOT EXISTS audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            audit_id TEXT NOT NULL UNIQUE,
            customer_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity_type TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            changes TEXT
        );
        CREATE INDEX IF NOT EXISTS audit_by_customer ON audit_log (customer_id, seq DESC);
        CREATE TABLE IF NOT EXISTS schedules (
            schedule_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            next_run_at INTEGER,
            last_run_at INTEGER,
            document TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS schedules_by_customer ON schedules (customer_id, schedule_id);
        CREATE INDEX IF NOT EXISTS schedules_due ON schedules (next_run_at) WHERE status = 'ACTIVE' AND next_run_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS schedule_runs (
            run_id TEXT PRIMARY KEY,
            schedule_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS schedule_runs_by_schedule ON schedule_runs (schedule_id, run_id DESC);
        CREATE TABLE IF NOT EXISTS schedule_decisions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            schedule_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            path TEXT NOT NULL,
            taken INTEGER NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            job_id TEXT,
            at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS decisions_by_schedule ON schedule_decisions (schedule_id, seq DESC);
        CREATE INDEX IF NOT EXISTS decisions_by_path ON schedule_decisions (schedule_id, path, seq DESC);
        CREATE INDEX IF NOT EXISTS decisions_by_run ON schedule_decisions (run_id);
        CREATE TABLE IF NOT EXISTS triggers (
            trigger_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            reconciling INTEGER NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS triggers_by_customer ON triggers (customer_id, trigger_id);
        CREATE TABLE IF NOT EXISTS trigger_sequencers (
            trigger_id TEXT NOT NULL,
            object_key TEXT NOT NULL,
            sequencer TEXT NOT NULL,
            seen_at INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (trigger_id, object_key)
        );
        CREATE INDEX IF NOT EXISTS trigger_sequencers_seen ON trigger_sequencers (seen_at);
        CREATE TABLE IF NOT EXISTS webhooks (
            customer_id TEXT PRIMARY KEY,
            document TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS webhook_deliveries (
            delivery_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            job_id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            next_attempt_at INTEGER NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
        CREATE INDEX IF NOT EXISTS webhook_deliveries_by_customer ON webhook_deliveries (customer_id, delivery_id DESC);
        CREATE TABLE IF NOT EXISTS leftovers (
            leftover_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            job_id TEXT NOT NULL UNIQUE,
            next_attempt_at INTEGER NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS leftovers_due ON leftovers (next_attempt_at);
        CREATE TABLE IF NOT EXISTS secrets (
            reference TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            sealed BLOB NOT NULL,
            created_at INTEGER NOT NULL
        );
        """;

    /// <summary>
    /// The schema's version, kept in SQLite's user_version. <see cref="Create"/> makes the newest
    /// tables for a new database; a database made by an older Ferry (user_version below this) gets
    /// the changes since, in order, when it is opened, so upgrading Ferry keeps its data.
    /// 0: before versions were kept (2026-11-30), the tables as they were then.
    /// A new table needs no migration (<see cref="Create"/> runs on every open and makes what is
    /// missing) nor a new version (an older Ferry ignores it); a changed one needs both.
    /// </summary>
    public const int Version = 6;

    /// <summary>The change that brings a database from version <c>index</c> to <c>index + 1</c>.</summary>
    public static readonly IReadOnlyList<string> Migrations =
    [
        // 0 -> 1: jobs remember the traced request that created them.
        "ALTER TABLE jobs ADD COLUMN trace_parent TEXT;",

        // 1 -> 2: jobs by status and flow are counted as they change (triggers, in Create) instead
        // of by a scan of every job for each metrics refresh (1.7 s at a million jobs); the counts
        // start from the jobs already there.
        """
        CREATE TABLE IF NOT EXISTS job_counts (status TEXT NOT NULL, flow_type TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (status, flow_type));
        DELETE FROM job_counts;
        INSERT INTO job_counts (status, flow_type, n) SELECT status, flow_type, COUNT(*) FROM jobs GROUP BY status, flow_type;
        """,

        // 2 -> 3: the retention. Sequencers remember when their object's last event came (those
        // from before count as long ago: dropping one only costs a HEAD if a stale event turns up),
        // and finished jobs leave pruned_jobs records (a new table, in Create), which a Ferry of
        // version 2 would not consult: it must refuse this database rather than send those files again.
        "ALTER TABLE trigger_sequencers ADD COLUMN seen_at INTEGER NOT NULL DEFAULT 0;",

        // 3 -> 4: API keys have a scope; the keys from before could do everything, and still can.
        // A Ferry of version 3 would let a read-only key do everything: it must refuse this database.
        "ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'full';",

        // 4 -> 5: API keys may expire; the keys from before do not. A Ferry of version 4 would
        // accept an expired key: it must refuse this database.
        "ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;",

        // 5 -> 6: the job counts are kept per customer too (triggers, in Create, made anew), starting
        // from the jobs already there. A Ferry of version 5 would fail every job it creates on this
        // table (its triggers name no customer): it must refuse this database.
        """
        DROP TRIGGER IF EXISTS job_counts_insert;
        DROP TRIGGER IF EXISTS job_counts_update;
        DROP TRIGGER IF EXISTS job_counts_delete;
        DROP TABLE IF EXISTS job_counts;
        CREATE TABLE job_counts (customer_id TEXT NOT NULL, status TEXT NOT NULL, flow_type TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (customer_id, status, flow_type)) WITHOUT ROWID;
        INSERT INTO job_counts (customer_id, status, flow_type, n) SELECT customer_id, status, flow_type, COUNT(*) FROM jobs GROUP BY customer_id, status, flow_type;
        """,
    ];

    public const string JobColumns = """
        job_id, customer_id, flow_type, source_endpoint_id, source_path, target_endpoint_id, target_path,
        idempotency_key, status, attempts, error_code, error_message, created_at, updated_at, next_attempt_at,
        execution_region, bytes, sha256, batch_id, redrive_of, checkpoint, policy_json, lease_owner, lease_token,
        lease_expires_at, version, trace_parent
        """;
}
