\set n random(1, 20000)
\startpipeline
SELECT set_config('role', 'application_user', true), set_config('app.current_tenant_id', '00000000-0000-0000-0000-00000000000a', true), set_config('app.current_user_id', '00000000-0000-0000-0000-0000000000a1', true), set_config('app.client_ip', '', true), set_config('app.user_agent', '', true), set_config('app.session_id', '', true), set_config('app.cross_tenant_reason', '', true);
SELECT * FROM sales.customers WHERE id = md5('c' || :n)::uuid;
\endpipeline
