-- idx_customers_company_search is rebuilt on the stored document (003800, 003802): the
-- same lexemes, but a query naming the column can use it, and then nothing else need
-- repeat the expression. One statement, CONCURRENTLY (run_in_transaction = false).
DROP INDEX CONCURRENTLY IF EXISTS sales.idx_customers_company_search;
