\set n random(1, 20000)
\startpipeline
SELECT set_config('role', 'application_user', true), set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true), set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true);
SELECT * FROM sales.customers WHERE id = md5('c' || :n)::uuid;
\endpipeline
