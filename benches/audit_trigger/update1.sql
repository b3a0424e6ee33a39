\set n random(1, 20000)
BEGIN;
SELECT set_config('role', 'application_user', true), set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true), set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true), set_config('app.client_ip', '198.51.100.7', true), set_config('app.user_agent', 'pgbench', true);
UPDATE sales.customers SET total_revenue = total_revenue + 1, updated_by = '00000000-0000-0000-0000-0000000000a1' WHERE id = md5('c' || :n)::uuid;
COMMIT;
