DROP INDEX CONCURRENTLY IF EXISTS sales.idx_customers_company_search;
