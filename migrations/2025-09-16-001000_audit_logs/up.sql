-- risk.audit_logs: the spec's columns and rules, range-partitioned by month on
-- "timestamp". Deviation: the primary key is (id, "timestamp"), because PostgreSQL
-- requires the partition key in every unique constraint of a partitioned table.
--
-- Partitions are UTC calendar months named audit_logs_YYYY_MM. A DEFAULT partition
-- catches any row outside the created months, so no audit row is ever refused; when
-- a month is created later, its rows are moved out of the default partition.
-- Partitions are reached only through the parent: the application roles hold no
-- privilege on them, so the parent's row-level security (001300) is the only path.
--
-- user_id references auth.users by (tenant_id, id): the actor must belong to the row's
-- tenant. No UNIQUE (tenant_id, id) here: nothing references audit rows, and a unique
-- constraint of a partitioned table would have to include "timestamp".

CREATE TABLE risk.audit_logs (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID,
    user_id UUID,
    action VARCHAR(100) NOT NULL,
    entity_type VARCHAR(100) NOT NULL,
    entity_id UUID,
    old_values JSONB,
    new_values JSONB,
    ip_address INET,
    user_agent TEXT,
    session_id UUID,
    "timestamp" TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    severity VARCHAR(20) NOT NULL DEFAULT 'info',
    CONSTRAINT audit_logs_pkey PRIMARY KEY (id, "timestamp"),
    CONSTRAINT fk_audit_logs_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    -- Same tenant, like every reference between tenant tables (see 000400). Deleting
    -- the user nulls user_id only: a plain SET NULL would null tenant_id as well.
    -- MATCH SIMPLE: a row without tenant_id (a platform event; application_user cannot
    -- write one) is not checked at all, so the platform path must write a real user_id.
    CONSTRAINT fk_audit_logs_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES auth.users (tenant_id, id) ON DELETE SET NULL (user_id),
    CONSTRAINT chk_audit_logs_severity_valid
        CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical'))
) PARTITION BY RANGE ("timestamp");

COMMENT ON TABLE risk.audit_logs IS
    'Audit trail, partitioned by UTC month (audit_logs_YYYY_MM, plus audit_logs_default). Application roles may SELECT and INSERT, never UPDATE or DELETE.';

CREATE TABLE risk.audit_logs_default PARTITION OF risk.audit_logs DEFAULT;

-- A tenant's history of one entity ("who changed this customer, when"), newest first.
-- It leads with tenant_id, so it also serves the RLS predicate. (The time-ordered
-- trail is the spec's idx_audit_logs_tenant_time, 001100. No (tenant_id, id) index:
-- audit ids are not time-ordered, the trail pages by "timestamp".)
CREATE INDEX idx_audit_logs_tenant_entity
    ON risk.audit_logs (tenant_id, entity_type, entity_id, "timestamp" DESC);

-- Creates the monthly partitions for `months` months from the month of `start_month`
-- (UTC month boundaries), skipping those that exist. Returns how many it created.
--
-- A month whose rows already sit in the default partition (written before the month
-- was created) cannot simply be created: PostgreSQL refuses a new partition while the
-- default partition holds rows of its range. Those rows are moved: taken out of the
-- default partition into a temporary table, the partition is created, and they are
-- inserted into it; all in the caller's transaction, under an ACCESS EXCLUSIVE lock on
-- audit_logs (which creating a partition takes anyway), so no row is lost, duplicated
-- or refused, and no writer can slip a row of that month in between.
CREATE FUNCTION risk.create_audit_log_partitions(start_month date, months integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_month date;
    month_start date;
    partition_name text;
    lower_bound text;
    upper_bound text;
    moved bigint;
    created integer := 0;
BEGIN
    IF start_month IS NULL OR months IS NULL OR months < 1 OR months > 120 THEN
        RAISE EXCEPTION 'create_audit_log_partitions: start_month must be given and months must be 1..120 (got %, %)',
            start_month, months
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    first_month := date_trunc('month', start_month::timestamp)::date;

    FOR i IN 0 .. months - 1 LOOP
        month_start := (first_month + make_interval(months => i))::date;
        partition_name := 'audit_logs_' || to_char(month_start, 'YYYY_MM');
        -- Explicit UTC instants: the bounds never depend on the session's TimeZone.
        lower_bound := to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00';
        upper_bound := to_char((month_start + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00';

        CONTINUE WHEN to_regclass(format('risk.%I', partition_name)) IS NOT NULL;
        LOCK TABLE risk.audit_logs IN ACCESS EXCLUSIVE MODE;
        CONTINUE WHEN to_regclass(format('risk.%I', partition_name)) IS NOT NULL;

        IF EXISTS (SELECT 1 FROM risk.audit_logs_default
                   WHERE "timestamp" >= lower_bound::timestamptz
                     AND "timestamp" < upper_bound::timestamptz) THEN
            -- Take the month's rows out of the default partition, create the (empty)
            -- partition, and insert the rows straight into it. Attaching a pre-filled
            -- table instead would re-validate its foreign keys in a way that FORCE ROW
            -- LEVEL SECURITY on auth.tenants hides every tenant from a non-superuser
            -- owner; a plain insert checks them like any other write.
            -- (Dynamic SQL throughout: the temporary table is new on every call.)
            EXECUTE 'CREATE TEMPORARY TABLE aems_audit_logs_moving (LIKE risk.audit_logs) ON COMMIT DROP';
            EXECUTE 'WITH taken AS (DELETE FROM risk.audit_logs_default'
                    ' WHERE "timestamp" >= $1 AND "timestamp" < $2 RETURNING *)'
                    ' INSERT INTO pg_temp.aems_audit_logs_moving SELECT * FROM taken'
                USING lower_bound::timestamptz, upper_bound::timestamptz;
            EXECUTE format('CREATE TABLE risk.%I PARTITION OF risk.audit_logs FOR VALUES FROM (%L) TO (%L)',
                           partition_name, lower_bound, upper_bound);
            EXECUTE format('INSERT INTO risk.%I SELECT * FROM pg_temp.aems_audit_logs_moving', partition_name);
            GET DIAGNOSTICS moved = ROW_COUNT;
            EXECUTE 'DROP TABLE pg_temp.aems_audit_logs_moving';
            RAISE NOTICE 'created risk.% and moved % row(s) into it from risk.audit_logs_default',
                partition_name, moved;
        ELSE
            EXECUTE format('CREATE TABLE risk.%I PARTITION OF risk.audit_logs FOR VALUES FROM (%L) TO (%L)',
                           partition_name, lower_bound, upper_bound);
        END IF;
        created := created + 1;
    END LOOP;

    RETURN created;
END;
$$;

COMMENT ON FUNCTION risk.create_audit_log_partitions(date, integer) IS
    'Creates audit_logs_YYYY_MM partitions (UTC months) for `months` months from start_month; moves rows already in audit_logs_default into them. Returns the number created.';

-- The spec's maintenance function: creates next month's partition if missing.
-- SECURITY DEFINER (creating a partition needs the table owner) with a fixed
-- search_path, so the platform role can run it (granted in 001300) and nobody else.
CREATE FUNCTION risk.create_monthly_partition()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM risk.create_audit_log_partitions(
        (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month')::date, 1);
END;
$$;

COMMENT ON FUNCTION risk.create_monthly_partition() IS
    'Creates next (UTC) month''s audit_logs partition if it does not exist.';

-- Retention: drops the monthly partitions that end on or before the start of
-- cutoff's month, and deletes the default partition's rows older than that instant.
-- Owner only (it destroys audit history): nobody else may execute it.
CREATE FUNCTION risk.drop_audit_log_partitions_before(cutoff date)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cutoff_month date;
    part record;
    dropped integer := 0;
BEGIN
    IF cutoff IS NULL THEN
        RAISE EXCEPTION 'drop_audit_log_partitions_before: cutoff must be given'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cutoff_month := date_trunc('month', cutoff::timestamp)::date;

    FOR part IN
        SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'risk.audit_logs'::regclass
          AND c.relname ~ '^audit_logs_[0-9]{4}_[0-9]{2}$'
          AND to_date(substr(c.relname, 12), 'YYYY_MM') < cutoff_month
        ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE risk.%I', part.relname);
        dropped := dropped + 1;
    END LOOP;

    DELETE FROM risk.audit_logs_default
    WHERE "timestamp" < (to_char(cutoff_month, 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;

    RETURN dropped;
END;
$$;

COMMENT ON FUNCTION risk.drop_audit_log_partitions_before(date) IS
    'Retention: drops audit_logs_YYYY_MM partitions of months before cutoff''s month and deletes older rows of audit_logs_default. Returns the number of partitions dropped.';

REVOKE ALL ON FUNCTION risk.create_audit_log_partitions(date, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION risk.create_monthly_partition() FROM PUBLIC;
REVOKE ALL ON FUNCTION risk.drop_audit_log_partitions_before(date) FROM PUBLIC;

-- The current and the next UTC month.
SELECT risk.create_audit_log_partitions(date_trunc('month', now() AT TIME ZONE 'UTC')::date, 2);
