-- One tenant, one user and 20,000 customers (ids md5('c' || n)::uuid) for scripts/audit-trigger-bench.sh.
BEGIN;
SELECT set_config('app.cross_tenant_reason', 'bench seed', true);
INSERT INTO auth.tenants (id, name, slug) VALUES ('00000000-0000-0000-0000-00000000000a', 'Bench', 'bench');
INSERT INTO auth.users (id, tenant_id, email, password_hash, first_name, last_name)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'a@bench.example.com', 'x', 'A', 'B');
INSERT INTO sales.customers (id, tenant_id, company_name, contact_email, customer_segment, acquisition_date, created_by, updated_by, industry, territory, contact_phone)
SELECT md5('c'||g)::uuid, '00000000-0000-0000-0000-00000000000a', 'Company '||g, 'c'||g||'@x.example.com', 'smb', date '2024-01-01',
       '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a1', 'software', 'emea', '+4912345678'
FROM generate_series(1, 20000) g;
COMMIT;
VACUUM ANALYZE;
