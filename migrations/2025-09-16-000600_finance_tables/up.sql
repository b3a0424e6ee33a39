-- finance: finance_metrics, budget_plans, expense_transactions (the spec's columns and
-- rules, constraints named). Columns too narrow for normal values are widened in
-- 001200. References to other tenant tables are same-tenant composite FKs,
-- (tenant_id, X) -> (tenant_id, id) (see 000400). RLS and grants: 001300.

CREATE TABLE finance.finance_metrics (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    metric_date DATE NOT NULL,
    period_type VARCHAR(20) NOT NULL,
    total_revenue DECIMAL(15,2) NOT NULL DEFAULT 0,
    total_expenses DECIMAL(15,2) NOT NULL DEFAULT 0,
    gross_profit DECIMAL(15,2) NOT NULL DEFAULT 0,
    net_profit DECIMAL(15,2) NOT NULL DEFAULT 0,
    ebitda DECIMAL(15,2) NOT NULL DEFAULT 0,
    gross_margin DECIMAL(5,2) NOT NULL DEFAULT 0,
    net_margin DECIMAL(5,2) NOT NULL DEFAULT 0,
    cash_flow DECIMAL(15,2) NOT NULL DEFAULT 0,
    accounts_receivable DECIMAL(15,2) NOT NULL DEFAULT 0,
    accounts_payable DECIMAL(15,2) NOT NULL DEFAULT 0,
    cash_balance DECIMAL(15,2) NOT NULL DEFAULT 0,
    burn_rate DECIMAL(15,2) NOT NULL DEFAULT 0,
    runway_months DECIMAL(5,1) NOT NULL DEFAULT 0,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT finance_metrics_pkey PRIMARY KEY (id),
    -- Tenant-leading key: serves the RLS predicate and keyset pagination by id (UUIDv7),
    -- and is what the same-tenant foreign keys (tenant_id, X) reference.
    CONSTRAINT uq_finance_metrics_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT uq_finance_metrics_tenant_id_metric_date_period_type
        UNIQUE (tenant_id, metric_date, period_type),
    CONSTRAINT fk_finance_metrics_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_finance_metrics_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_finance_metrics_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_finance_metrics_period_type_valid
        CHECK (period_type IN ('daily', 'weekly', 'monthly', 'quarterly', 'yearly'))
);

CREATE TRIGGER trg_finance_metrics_updated_at
    BEFORE UPDATE ON finance.finance_metrics
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE finance.budget_plans (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    name VARCHAR(255) NOT NULL,
    fiscal_year INTEGER NOT NULL,
    department VARCHAR(100) NOT NULL,
    category VARCHAR(100) NOT NULL,
    planned_amount DECIMAL(15,2) NOT NULL,
    actual_amount DECIMAL(15,2) NOT NULL DEFAULT 0,
    variance DECIMAL(15,2) NOT NULL DEFAULT 0,
    variance_percentage DECIMAL(5,2) NOT NULL DEFAULT 0,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT budget_plans_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_budget_plans_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_budget_plans_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_budget_plans_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_budget_plans_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_budget_plans_planned_amount_positive CHECK (planned_amount > 0),
    CONSTRAINT chk_budget_plans_period_end_after_start CHECK (period_end > period_start),
    CONSTRAINT chk_budget_plans_status_valid CHECK (status IN ('active', 'locked', 'archived'))
);

CREATE TRIGGER trg_budget_plans_updated_at
    BEFORE UPDATE ON finance.budget_plans
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE finance.expense_transactions (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    transaction_date DATE NOT NULL,
    amount DECIMAL(15,2) NOT NULL,
    currency VARCHAR(3) NOT NULL DEFAULT 'USD',
    category VARCHAR(100) NOT NULL,
    subcategory VARCHAR(100),
    vendor VARCHAR(255) NOT NULL,
    description TEXT NOT NULL,
    department VARCHAR(100),
    employee_id UUID,
    receipt_url VARCHAR(2048),
    tax_amount DECIMAL(15,2) NOT NULL DEFAULT 0,
    is_reimbursable BOOLEAN NOT NULL DEFAULT FALSE,
    approval_status VARCHAR(20) NOT NULL DEFAULT 'pending',
    approved_by UUID,
    approved_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT expense_transactions_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_expense_transactions_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_expense_transactions_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_expense_transactions_employee_id FOREIGN KEY (tenant_id, employee_id)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_expense_transactions_approved_by FOREIGN KEY (tenant_id, approved_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_expense_transactions_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_expense_transactions_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_expense_transactions_amount_positive CHECK (amount > 0),
    CONSTRAINT chk_expense_transactions_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT chk_expense_transactions_approval_status_valid
        CHECK (approval_status IN ('pending', 'approved', 'rejected', 'cancelled'))
);

-- Repository filters: expenses by category and by employee within a tenant.
CREATE INDEX idx_expense_transactions_tenant_category
    ON finance.expense_transactions (tenant_id, category);
CREATE INDEX idx_expense_transactions_tenant_employee_id
    ON finance.expense_transactions (tenant_id, employee_id);

CREATE TRIGGER trg_expense_transactions_updated_at
    BEFORE UPDATE ON finance.expense_transactions
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
