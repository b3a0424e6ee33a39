-- risk: risk_assessments, compliance_records (the spec's columns and rules,
-- constraints named). audit_logs, partitioned, is 001000. References to other tenant
-- tables are same-tenant composite FKs, (tenant_id, X) -> (tenant_id, id) (see 000400).
-- RLS and grants: 001300.

CREATE TABLE risk.risk_assessments (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    risk_name VARCHAR(255) NOT NULL,
    risk_category VARCHAR(100) NOT NULL,
    description TEXT NOT NULL,
    likelihood INTEGER NOT NULL,
    impact INTEGER NOT NULL,
    risk_score INTEGER NOT NULL,
    risk_level VARCHAR(20) NOT NULL,
    owner_id UUID NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'open',
    mitigation_plan TEXT,
    contingency_plan TEXT,
    last_review_date DATE,
    next_review_date DATE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT risk_assessments_pkey PRIMARY KEY (id),
    -- Tenant-leading key: serves the RLS predicate and keyset pagination by id (UUIDv7),
    -- and is what the same-tenant foreign keys (tenant_id, X) reference.
    CONSTRAINT uq_risk_assessments_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_risk_assessments_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_risk_assessments_owner_id FOREIGN KEY (tenant_id, owner_id)
        REFERENCES hr.employees (tenant_id, id),
    CONSTRAINT fk_risk_assessments_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_risk_assessments_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_risk_assessments_likelihood_range CHECK (likelihood >= 1 AND likelihood <= 5),
    CONSTRAINT chk_risk_assessments_impact_range CHECK (impact >= 1 AND impact <= 5),
    CONSTRAINT chk_risk_assessments_risk_score_range CHECK (risk_score >= 1 AND risk_score <= 25),
    CONSTRAINT chk_risk_assessments_risk_level_valid
        CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT chk_risk_assessments_status_valid
        CHECK (status IN ('open', 'mitigated', 'accepted', 'closed')),
    -- Not in the spec: the derived values are enforced (a wrong row is refused, never
    -- rewritten). Thresholds as public.calculate_risk_level: low 1-4, medium 5-9,
    -- high 10-16, critical 17-25.
    CONSTRAINT chk_risk_assessments_risk_score_product CHECK (risk_score = likelihood * impact),
    CONSTRAINT chk_risk_assessments_risk_level_matches_score
        CHECK (risk_level = CASE
                                WHEN risk_score <= 4 THEN 'low'
                                WHEN risk_score <= 9 THEN 'medium'
                                WHEN risk_score <= 16 THEN 'high'
                                ELSE 'critical'
                            END)
);

-- Repository filters: risks by level and by next review date within a tenant (the
-- spec's idx_risk_assessments_level_review does not lead with tenant_id).
CREATE INDEX idx_risk_assessments_tenant_risk_level ON risk.risk_assessments (tenant_id, risk_level);
CREATE INDEX idx_risk_assessments_tenant_next_review_date
    ON risk.risk_assessments (tenant_id, next_review_date);

CREATE TRIGGER trg_risk_assessments_updated_at
    BEFORE UPDATE ON risk.risk_assessments
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE risk.compliance_records (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    regulation_name VARCHAR(255) NOT NULL,
    compliance_area VARCHAR(100) NOT NULL,
    requirement_description TEXT NOT NULL,
    compliance_status VARCHAR(20) NOT NULL,
    last_audit_date DATE,
    next_audit_date DATE,
    responsible_party UUID NOT NULL,
    evidence_documentation TEXT,
    remediation_plan TEXT,
    deadline DATE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by UUID NOT NULL,
    updated_by UUID NOT NULL,
    CONSTRAINT compliance_records_pkey PRIMARY KEY (id),
    -- Tenant-leading key: RLS predicate, keyset pagination, same-tenant FK target.
    CONSTRAINT uq_compliance_records_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_compliance_records_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_compliance_records_responsible_party FOREIGN KEY (tenant_id, responsible_party)
        REFERENCES hr.employees (tenant_id, id),
    CONSTRAINT fk_compliance_records_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT fk_compliance_records_updated_by FOREIGN KEY (tenant_id, updated_by)
        REFERENCES auth.users (tenant_id, id),
    CONSTRAINT chk_compliance_records_compliance_status_valid
        CHECK (compliance_status IN ('compliant', 'non_compliant', 'in_progress', 'not_applicable'))
);

-- Repository filters: records by status and by deadline within a tenant.
CREATE INDEX idx_compliance_records_tenant_compliance_status
    ON risk.compliance_records (tenant_id, compliance_status);
CREATE INDEX idx_compliance_records_tenant_deadline ON risk.compliance_records (tenant_id, deadline);

CREATE TRIGGER trg_compliance_records_updated_at
    BEFORE UPDATE ON risk.compliance_records
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
