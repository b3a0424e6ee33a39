-- Undo 000800.
DROP TABLE products.product_performance;
DROP TABLE products.inventory_levels;
DROP TABLE products.products;
