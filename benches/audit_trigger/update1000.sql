\set k random(0, 18)
BEGIN;
SELECT set_config('role', 'application_user', true), set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true), set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true), set_config('app.client_ip', '198.51.100.7', true), set_config('app.user_agent', 'pgbench', true);
UPDATE sales.customers SET total_revenue = total_revenue + 1, updated_by = '00000000-0000-0000-0000-0000000000a1' WHERE id = ANY (ARRAY(SELECT md5('c' || g)::uuid FROM generate_series(:k * 1000 + 1, :k * 1000 + 1000) g));
COMMIT;
