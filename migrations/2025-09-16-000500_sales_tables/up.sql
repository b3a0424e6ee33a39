-- sales: sales_metrics, customers, sales_pipeline (the spec's columns and rules,
-- constraints named). References to other tenant tables are same-tenant composite
-- FKs, (tenant_id, X) -> (tenant_id, id) (see 000400). RLS and grants: 001300.

CREATE TABLE sales.sales_metrics (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    metric_date DATE NOT NULL,
    period_type VARCHAR(20) NOT NULL,
    total_revenue DECIMAL(15,2) NOT NULL DEFAULT 0,
    pipeline_value DECIMAL(15,2) NOT NULL DEFAULT 0,
    deals_closed INTEGER NOT NULL DEFAULT 0,
    deals_lost INTEGER NOT NULL DEFAULT 0,
    win_rate DECIMAL(5,2) NOT NULL DEFAULT 0,
    customer_acquisition_cost DECIMAL(10,2) NOT NULL DEFAULT 0,
    customer_lifetime_value DECIMAL(10,2) NOT NULL DEFAULT 0,
    churn_rate DECIMAL(5,2) NOT NULL DEFAULT 0,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT sales_metrics_pkey PRIMARY KEY (id),
    -- Tenant-leading key: serves the RLS predicate and keyset pagination by id (UUIDv7),
    -- and is what the same-tenant foreign keys (tenant_id, X) reference.
    CONSTRAINT uq_sales_metrics_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT uq_sales_metrics_tenant_id_metric_date_period_type
        UNIQUE (tenant_id, metric_date, period_type),
    CONSTRAINT fk_sales_metrics_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_sales_metrics_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_sales_metrics_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_sales_metrics_period_type_valid
        CHECK (period_type IN ('daily', 'weekly', 'monthly', 'quarterly', 'yearly')),
    CONSTRAINT chk_sales_metrics_win_rate_range CHECK (win_rate >= 0 AND win_rate <= 100),
    CONSTRAINT chk_sales_metrics_churn_rate_range CHECK (churn_rate >= 0 AND churn_rate <= 100)
);

CREATE TRIGGER trg_sales_metrics_updated_at
    BEFORE UPDATE ON sales.sales_metrics
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE sales.customers (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    company_name VARCHAR(255) NOT NULL,
    contact_email VARCHAR(255) NOT NULL,
    contact_phone VARCHAR(20),
    industry VARCHAR(100),
    company_size VARCHAR(50),
    territory VARCHAR(100),
    customer_segment VARCHAR(50) NOT NULL,
    acquisition_date DATE NOT NULL,
    lifetime_value DECIMAL(15,2) NOT NULL DEFAULT 0,
    total_revenue DECIMAL(15,2) NOT NULL DEFAULT 0,
    last_purchase_date DATE,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    billing_address JSONB,
    custom_fields JSONB DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    deleted_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT customers_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_customers_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_customers_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_customers_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_customers_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_customers_contact_email_format
        CHECK (contact_email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    CONSTRAINT chk_customers_contact_phone_format
        CHECK (contact_phone ~* '^\+[1-9]\d{1,14}$'),
    CONSTRAINT chk_customers_company_size_valid
        CHECK (company_size IN ('1-10', '11-50', '51-200', '201-1000', '1000+')),
    CONSTRAINT chk_customers_customer_segment_valid
        CHECK (customer_segment IN ('enterprise', 'mid_market', 'smb', 'startup')),
    CONSTRAINT chk_customers_status_valid
        CHECK (status IN ('active', 'inactive', 'churned', 'prospect'))
);

-- Repository filters: customers by status and by territory within a tenant.
CREATE INDEX idx_customers_tenant_status ON sales.customers (tenant_id, status);
CREATE INDEX idx_customers_tenant_territory ON sales.customers (tenant_id, territory);

CREATE TRIGGER trg_customers_updated_at
    BEFORE UPDATE ON sales.customers
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE sales.sales_pipeline (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    opportunity_name VARCHAR(255) NOT NULL,
    stage VARCHAR(50) NOT NULL,
    value DECIMAL(15,2) NOT NULL,
    probability DECIMAL(5,2) NOT NULL,
    expected_close_date DATE NOT NULL,
    actual_close_date DATE,
    sales_rep UUID NOT NULL,
    source VARCHAR(100),
    status VARCHAR(20) NOT NULL DEFAULT 'open',
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT sales_pipeline_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_sales_pipeline_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_sales_pipeline_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_sales_pipeline_customer_id FOREIGN KEY (tenant_id, customer_id)
        REFERENCES sales.customers (tenant_id, id),
    CONSTRAINT fk_sales_pipeline_sales_rep FOREIGN KEY (tenant_id, sales_rep)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_sales_pipeline_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_sales_pipeline_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_sales_pipeline_stage_valid
        CHECK (stage IN ('lead', 'qualified', 'proposal', 'negotiation', 'closed_won', 'closed_lost')),
    CONSTRAINT chk_sales_pipeline_value_positive CHECK (value > 0),
    CONSTRAINT chk_sales_pipeline_probability_range
        CHECK (probability >= 0 AND probability <= 100),
    CONSTRAINT chk_sales_pipeline_status_valid
        CHECK (status IN ('open', 'closed_won', 'closed_lost', 'on_hold'))
);

-- Repository filters: by stage, by sales rep, by expected close date within a tenant
-- (the spec's idx_sales_pipeline_stage_date does not lead with tenant_id).
CREATE INDEX idx_sales_pipeline_tenant_stage ON sales.sales_pipeline (tenant_id, stage);
CREATE INDEX idx_sales_pipeline_tenant_sales_rep ON sales.sales_pipeline (tenant_id, sales_rep);
CREATE INDEX idx_sales_pipeline_tenant_expected_close_date
    ON sales.sales_pipeline (tenant_id, expected_close_date);
-- A customer's opportunities, and the FK check when a customer is purged.
CREATE INDEX idx_sales_pipeline_customer_id ON sales.sales_pipeline (customer_id);

CREATE TRIGGER trg_sales_pipeline_updated_at
    BEFORE UPDATE ON sales.sales_pipeline
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
