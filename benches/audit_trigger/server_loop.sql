-- The same writes as the pgbench scripts, looped inside the server (one DO block, a
-- COMMIT after each statement, the context set in each transaction): the server's own
-- time per statement, without the client, the protocol or the scheduler's noise.
-- Prints one NOTICE per shape: µs per statement.
DO $$
DECLARE
    t0 timestamptz;
    n integer;
BEGIN
    n := 2000;
    t0 := clock_timestamp();
    FOR i IN 1 .. n LOOP
        PERFORM set_config('role', 'application_user', true),
                set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true),
                set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true),
                set_config('app.client_ip', '198.51.100.7', true),
                set_config('app.user_agent', 'server-loop', true);
        UPDATE sales.customers SET total_revenue = total_revenue + 1
            WHERE id = md5('c' || (i % 20000 + 1))::uuid;
        COMMIT;
    END LOOP;
    RAISE NOTICE 'update1 % us', round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / n, 1);

    n := 20;
    t0 := clock_timestamp();
    FOR i IN 1 .. n LOOP
        PERFORM set_config('role', 'application_user', true),
                set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true),
                set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true),
                set_config('app.client_ip', '198.51.100.7', true),
                set_config('app.user_agent', 'server-loop', true);
        UPDATE sales.customers SET total_revenue = total_revenue + 1
            WHERE id = ANY (ARRAY(SELECT md5('c' || g)::uuid
                                  FROM generate_series((i % 19) * 1000 + 1, (i % 19) * 1000 + 1000) g));
        COMMIT;
    END LOOP;
    RAISE NOTICE 'update1000 % us', round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / n, 1);

    n := 2000;
    t0 := clock_timestamp();
    FOR i IN 1 .. n LOOP
        PERFORM set_config('role', 'application_user', true),
                set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true),
                set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true),
                set_config('app.client_ip', '198.51.100.7', true),
                set_config('app.user_agent', 'server-loop', true);
        INSERT INTO sales.customers (tenant_id, company_name, contact_email, customer_segment, acquisition_date,
                                     created_by, updated_by, industry, territory, contact_phone)
        VALUES ('00000000-0000-0000-0000-00000000000a', 'Loop company', 'loop@x.example.com', 'smb', date '2024-02-01',
                '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a1', 'software', 'emea', '+4912345678');
        COMMIT;
    END LOOP;
    RAISE NOTICE 'insert1 % us', round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / n, 1);

    n := 20;
    t0 := clock_timestamp();
    FOR i IN 1 .. n LOOP
        PERFORM set_config('role', 'application_user', true),
                set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true),
                set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true),
                set_config('app.client_ip', '198.51.100.7', true),
                set_config('app.user_agent', 'server-loop', true);
        INSERT INTO sales.customers (tenant_id, company_name, contact_email, customer_segment, acquisition_date,
                                     created_by, updated_by, industry, territory, contact_phone)
        SELECT '00000000-0000-0000-0000-00000000000a', 'Loop company ' || g, 'loop@x.example.com', 'smb', date '2024-02-01',
               '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a1', 'software', 'emea', '+4912345678'
        FROM generate_series(1, 1000) g;
        COMMIT;
    END LOOP;
    RAISE NOTICE 'insert1000 % us', round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / n, 1);
END
$$;
