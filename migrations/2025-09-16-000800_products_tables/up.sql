-- products: products, inventory_levels, product_performance (the spec's columns and
-- rules, constraints named). inventory_levels also enforces its derived stock values.
-- Columns too narrow for normal values are widened in 001200. References to other
-- tenant tables are same-tenant composite FKs, (tenant_id, X) -> (tenant_id, id)
-- (see 000400). RLS and grants: 001300.

CREATE TABLE products.products (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    sku VARCHAR(100) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    category VARCHAR(100) NOT NULL,
    subcategory VARCHAR(100),
    brand VARCHAR(100),
    unit_cost DECIMAL(10,2) NOT NULL,
    selling_price DECIMAL(10,2) NOT NULL,
    profit_margin DECIMAL(5,2) NOT NULL,
    weight DECIMAL(10,3),
    dimensions JSONB,
    lifecycle_stage VARCHAR(50) NOT NULL,
    launch_date DATE,
    discontinue_date DATE,
    supplier_info JSONB DEFAULT '{}',
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    deleted_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT products_pkey PRIMARY KEY (id),
    -- Tenant-leading key: serves the RLS predicate and keyset pagination by id (UUIDv7),
    -- and is what the same-tenant foreign keys (tenant_id, X) reference.
    CONSTRAINT uq_products_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT uq_products_tenant_id_sku UNIQUE (tenant_id, sku),
    CONSTRAINT fk_products_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_products_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_products_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_products_lifecycle_stage_valid
        CHECK (lifecycle_stage IN ('development', 'launch', 'growth', 'maturity', 'decline', 'discontinued')),
    CONSTRAINT chk_products_status_valid
        CHECK (status IN ('active', 'inactive', 'discontinued', 'out_of_stock')),
    CONSTRAINT chk_products_selling_price_above_unit_cost CHECK (selling_price > unit_cost)
);

-- Repository filters: products by category and by lifecycle stage within a tenant.
CREATE INDEX idx_products_tenant_category ON products.products (tenant_id, category);
CREATE INDEX idx_products_tenant_lifecycle_stage ON products.products (tenant_id, lifecycle_stage);

CREATE TRIGGER trg_products_updated_at
    BEFORE UPDATE ON products.products
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE products.inventory_levels (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    product_id UUID NOT NULL,
    warehouse_location VARCHAR(100) NOT NULL,
    current_stock INTEGER NOT NULL DEFAULT 0,
    reserved_stock INTEGER NOT NULL DEFAULT 0,
    available_stock INTEGER NOT NULL DEFAULT 0,
    reorder_level INTEGER NOT NULL,
    max_stock_level INTEGER NOT NULL,
    last_restock_date DATE,
    last_stock_take DATE,
    stock_value DECIMAL(15,2) NOT NULL DEFAULT 0,
    turnover_rate DECIMAL(5,2) NOT NULL DEFAULT 0,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT inventory_levels_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_inventory_levels_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT uq_inventory_levels_tenant_id_product_id_warehouse_location
        UNIQUE (tenant_id, product_id, warehouse_location),
    CONSTRAINT fk_inventory_levels_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_inventory_levels_product_id FOREIGN KEY (tenant_id, product_id)
        REFERENCES products.products (tenant_id, id),
    CONSTRAINT fk_inventory_levels_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_inventory_levels_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_inventory_levels_current_stock_non_negative CHECK (current_stock >= 0),
    CONSTRAINT chk_inventory_levels_reserved_stock_non_negative CHECK (reserved_stock >= 0),
    CONSTRAINT chk_inventory_levels_available_stock_non_negative CHECK (available_stock >= 0),
    CONSTRAINT chk_inventory_levels_reorder_level_positive CHECK (reorder_level > 0),
    CONSTRAINT chk_inventory_levels_max_stock_level_above_reorder_level
        CHECK (max_stock_level > reorder_level),
    -- Not in the spec: the derived stock values are enforced, so no writer (and no
    -- concurrent reserve/release) can leave an oversold or inconsistent row.
    CONSTRAINT chk_inventory_levels_reserved_stock_within_current
        CHECK (reserved_stock <= current_stock),
    CONSTRAINT chk_inventory_levels_available_stock_difference
        CHECK (available_stock = current_stock - reserved_stock)
);

-- (tenant_id, product_id) (FK, joins, purge checks) is served by
-- uq_inventory_levels_tenant_id_product_id_warehouse_location, and product_id alone by
-- the spec's idx_inventory_product_location (product_id, warehouse_location): no
-- extra index.

CREATE TRIGGER trg_inventory_levels_updated_at
    BEFORE UPDATE ON products.inventory_levels
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE products.product_performance (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    product_id UUID NOT NULL,
    metric_date DATE NOT NULL,
    period_type VARCHAR(20) NOT NULL,
    units_sold INTEGER NOT NULL DEFAULT 0,
    revenue DECIMAL(15,2) NOT NULL DEFAULT 0,
    profit DECIMAL(15,2) NOT NULL DEFAULT 0,
    returns INTEGER NOT NULL DEFAULT 0,
    customer_rating DECIMAL(3,1),
    review_count INTEGER NOT NULL DEFAULT 0,
    price_elasticity DECIMAL(5,4),
    demand_forecast INTEGER,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT product_performance_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_product_performance_tenant_id_id UNIQUE (tenant_id, id),
    -- uq_{table}_{columns} spelled out would be 67 characters, over PostgreSQL's 63.
    CONSTRAINT uq_product_performance_tenant_product_date_period
        UNIQUE (tenant_id, product_id, metric_date, period_type),
    CONSTRAINT fk_product_performance_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_product_performance_product_id FOREIGN KEY (tenant_id, product_id)
        REFERENCES products.products (tenant_id, id),
    CONSTRAINT fk_product_performance_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_product_performance_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_product_performance_period_type_valid
        CHECK (period_type IN ('daily', 'weekly', 'monthly', 'quarterly', 'yearly')),
    CONSTRAINT chk_product_performance_units_sold_non_negative CHECK (units_sold >= 0),
    CONSTRAINT chk_product_performance_returns_non_negative CHECK (returns >= 0),
    CONSTRAINT chk_product_performance_customer_rating_range
        CHECK (customer_rating >= 1 AND customer_rating <= 5)
);

-- (tenant_id, product_id) (FK, purge checks) is served by
-- uq_product_performance_tenant_product_date_period, and product_id alone by the
-- spec's idx_product_performance_date (product_id, metric_date DESC): no extra index.

CREATE TRIGGER trg_product_performance_updated_at
    BEFORE UPDATE ON products.product_performance
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
