BEGIN;
SELECT set_config('role', 'application_user', true), set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true), set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true), set_config('app.client_ip', '198.51.100.7', true), set_config('app.user_agent', 'pgbench', true);
INSERT INTO sales.customers (tenant_id, company_name, contact_email, customer_segment, acquisition_date, created_by, updated_by, industry, territory, contact_phone) SELECT '00000000-0000-0000-0000-00000000000a', 'New company ' || g, 'new@x.example.com', 'smb', date '2024-02-01', '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a1', 'software', 'emea', '+4912345678' FROM generate_series(1, 1000) g;
COMMIT;
