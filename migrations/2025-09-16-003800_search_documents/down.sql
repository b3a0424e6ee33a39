ALTER TABLE products.products DROP COLUMN search_document;
ALTER TABLE sales.customers DROP COLUMN search_document;
