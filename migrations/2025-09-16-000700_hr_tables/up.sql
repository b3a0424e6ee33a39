-- hr: hr_metrics, employees, recruitment_pipeline (the spec's columns and rules,
-- constraints named). employees.salary is BYTEA, not DECIMAL(12,2): see its comment.
-- References to other tenant tables are same-tenant composite FKs,
-- (tenant_id, X) -> (tenant_id, id) (see 000400). RLS and grants: 001300.

CREATE TABLE hr.hr_metrics (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    metric_date DATE NOT NULL,
    period_type VARCHAR(20) NOT NULL,
    total_headcount INTEGER NOT NULL DEFAULT 0,
    new_hires INTEGER NOT NULL DEFAULT 0,
    departures INTEGER NOT NULL DEFAULT 0,
    turnover_rate DECIMAL(5,2) NOT NULL DEFAULT 0,
    open_positions INTEGER NOT NULL DEFAULT 0,
    time_to_hire_avg INTEGER NOT NULL DEFAULT 0,
    employee_satisfaction DECIMAL(3,1) NOT NULL DEFAULT 0,
    engagement_score DECIMAL(3,1) NOT NULL DEFAULT 0,
    training_hours INTEGER NOT NULL DEFAULT 0,
    overtime_hours INTEGER NOT NULL DEFAULT 0,
    absenteeism_rate DECIMAL(5,2) NOT NULL DEFAULT 0,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT hr_metrics_pkey PRIMARY KEY (id),
    -- Tenant-leading key: serves the RLS predicate and keyset pagination by id (UUIDv7),
    -- and is what the same-tenant foreign keys (tenant_id, X) reference.
    CONSTRAINT uq_hr_metrics_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT uq_hr_metrics_tenant_id_metric_date_period_type
        UNIQUE (tenant_id, metric_date, period_type),
    CONSTRAINT fk_hr_metrics_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_hr_metrics_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_hr_metrics_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_hr_metrics_period_type_valid
        CHECK (period_type IN ('daily', 'weekly', 'monthly', 'quarterly', 'yearly')),
    CONSTRAINT chk_hr_metrics_turnover_rate_non_negative CHECK (turnover_rate >= 0),
    CONSTRAINT chk_hr_metrics_employee_satisfaction_range
        CHECK (employee_satisfaction >= 0 AND employee_satisfaction <= 10),
    CONSTRAINT chk_hr_metrics_engagement_score_range
        CHECK (engagement_score >= 0 AND engagement_score <= 10),
    CONSTRAINT chk_hr_metrics_absenteeism_rate_range
        CHECK (absenteeism_rate >= 0 AND absenteeism_rate <= 100)
);

CREATE TRIGGER trg_hr_metrics_updated_at
    BEFORE UPDATE ON hr.hr_metrics
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE hr.employees (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    user_id UUID,
    employee_id VARCHAR(50) NOT NULL,
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    email VARCHAR(255) NOT NULL,
    phone VARCHAR(20),
    department VARCHAR(100) NOT NULL,
    job_title VARCHAR(150) NOT NULL,
    manager_id UUID,
    hire_date DATE NOT NULL,
    employment_type VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    salary BYTEA,
    salary_currency VARCHAR(3) NOT NULL DEFAULT 'USD',
    location VARCHAR(255),
    remote_work BOOLEAN NOT NULL DEFAULT FALSE,
    performance_rating DECIMAL(3,1),
    last_promotion_date DATE,
    termination_date DATE,
    termination_reason VARCHAR(255),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    deleted_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT employees_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_employees_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT uq_employees_tenant_id_employee_id UNIQUE (tenant_id, employee_id),
    CONSTRAINT fk_employees_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_employees_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_employees_manager_id FOREIGN KEY (tenant_id, manager_id)
        REFERENCES hr.employees (tenant_id, id),
    CONSTRAINT fk_employees_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_employees_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_employees_email_format
        CHECK (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    CONSTRAINT chk_employees_phone_format CHECK (phone ~* '^\+[1-9]\d{1,14}$'),
    CONSTRAINT chk_employees_employment_type_valid
        CHECK (employment_type IN ('full_time', 'part_time', 'contractor', 'intern')),
    CONSTRAINT chk_employees_status_valid
        CHECK (status IN ('active', 'inactive', 'terminated', 'on_leave')),
    CONSTRAINT chk_employees_performance_rating_range
        CHECK (performance_rating >= 1 AND performance_rating <= 5)
);

-- Repository filters: employees by department and by manager within a tenant.
CREATE INDEX idx_employees_tenant_department ON hr.employees (tenant_id, department);
CREATE INDEX idx_employees_tenant_manager_id ON hr.employees (tenant_id, manager_id);

CREATE TRIGGER trg_employees_updated_at
    BEFORE UPDATE ON hr.employees
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

COMMENT ON COLUMN hr.employees.salary IS
    'Salary as an AEAD envelope (key id, nonce, ciphertext) written by the application; the spec''s DECIMAL(12,2) cannot hold ciphertext. Never plain.';

CREATE TABLE hr.recruitment_pipeline (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    job_title VARCHAR(150) NOT NULL,
    department VARCHAR(100) NOT NULL,
    candidate_name VARCHAR(255) NOT NULL,
    candidate_email VARCHAR(255) NOT NULL,
    candidate_phone VARCHAR(20),
    stage VARCHAR(50) NOT NULL,
    source VARCHAR(100),
    recruiter_id UUID NOT NULL,
    hiring_manager_id UUID NOT NULL,
    resume_url VARCHAR(2048),
    cover_letter_url VARCHAR(2048),
    application_date DATE NOT NULL,
    expected_start_date DATE,
    salary_expectation DECIMAL(12,2),
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    rejection_reason TEXT,
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT recruitment_pipeline_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_recruitment_pipeline_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_recruitment_pipeline_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_recruitment_pipeline_recruiter_id FOREIGN KEY (tenant_id, recruiter_id)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_recruitment_pipeline_hiring_manager_id FOREIGN KEY (tenant_id, hiring_manager_id)
        REFERENCES hr.employees (tenant_id, id),
    CONSTRAINT fk_recruitment_pipeline_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_recruitment_pipeline_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_recruitment_pipeline_candidate_email_format
        CHECK (candidate_email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    CONSTRAINT chk_recruitment_pipeline_candidate_phone_format
        CHECK (candidate_phone ~* '^\+[1-9]\d{1,14}$'),
    CONSTRAINT chk_recruitment_pipeline_stage_valid
        CHECK (stage IN ('applied', 'screening', 'interview', 'reference_check', 'offer', 'hired', 'rejected')),
    CONSTRAINT chk_recruitment_pipeline_status_valid
        CHECK (status IN ('active', 'hired', 'rejected', 'withdrawn'))
);

CREATE TRIGGER trg_recruitment_pipeline_updated_at
    BEFORE UPDATE ON hr.recruitment_pipeline
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
