\set n random(1, 20000)
SELECT * FROM bench_raw.customers WHERE tenant_id = '00000000-0000-0000-0000-00000000000a' AND id = md5('c' || :n)::uuid;
