\set n random(1, 20000)
SELECT * FROM sales.customers WHERE id = md5('c' || :n)::uuid;
