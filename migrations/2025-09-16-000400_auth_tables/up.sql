-- auth: tenants, users, user_sessions, user_mfa, oauth_connections.
-- Columns, types, defaults, NOT NULLs, CHECKs, UNIQUEs and FKs are the spec's; every
-- constraint is named (chk_/uq_/fk_, PKs {table}_pkey). Row-level security and grants
-- come in 001300, once every table exists.
--
-- Not in the spec (docs/schema.md, deviations): every table with tenant_id (except the
-- partitioned risk.audit_logs, which nothing references) has UNIQUE (tenant_id, id),
-- and every reference from one tenant table to another is a composite foreign key
-- (tenant_id, X) REFERENCES t (tenant_id, id), so the referenced row must belong to
-- the same tenant. FK checks bypass row-level security: with a plain FK on id, a
-- tenant could reference another tenant's row, and learn from the outcome whether an
-- id exists. (user_sessions, user_mfa and oauth_connections have no tenant_id: their
-- FK to auth.users stays on id.)

CREATE TABLE auth.tenants (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    slug VARCHAR(100) NOT NULL,
    settings JSONB NOT NULL DEFAULT '{}',
    subscription_plan VARCHAR(50) NOT NULL DEFAULT 'enterprise',
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT tenants_pkey PRIMARY KEY (id),
    CONSTRAINT uq_tenants_name UNIQUE (name),
    CONSTRAINT uq_tenants_slug UNIQUE (slug),
    CONSTRAINT chk_tenants_subscription_plan_valid
        CHECK (subscription_plan IN ('basic', 'professional', 'enterprise')),
    CONSTRAINT chk_tenants_status_valid
        CHECK (status IN ('active', 'inactive', 'suspended'))
);

-- The spec's own indexes (idx_tenants_slug duplicates uq_tenants_slug's index; kept
-- because the spec names it).
CREATE INDEX idx_tenants_slug ON auth.tenants (slug);
CREATE INDEX idx_tenants_status ON auth.tenants (status);

CREATE TRIGGER trg_tenants_updated_at
    BEFORE UPDATE ON auth.tenants
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE auth.users (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id UUID NOT NULL,
    email VARCHAR(255) NOT NULL,
    username VARCHAR(100),
    password_hash VARCHAR(255) NOT NULL,
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    role VARCHAR(50) NOT NULL DEFAULT 'user',
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    last_login TIMESTAMP WITH TIME ZONE,
    failed_login_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    -- Tenant-leading key: serves the RLS predicate and keyset pagination by id (UUIDv7),
    -- and is what the same-tenant foreign keys (tenant_id, X) reference.
    CONSTRAINT uq_users_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT uq_users_email UNIQUE (email),
    CONSTRAINT uq_users_username UNIQUE (username),
    CONSTRAINT fk_users_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES auth.tenants (id) ON DELETE CASCADE,
    CONSTRAINT chk_users_email_format
        CHECK (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    CONSTRAINT chk_users_role_valid
        CHECK (role IN ('admin', 'manager', 'user', 'viewer')),
    CONSTRAINT chk_users_status_valid
        CHECK (status IN ('active', 'inactive', 'suspended', 'pending')),
    CONSTRAINT chk_users_failed_login_attempts_non_negative
        CHECK (failed_login_attempts >= 0)
);

CREATE TRIGGER trg_users_updated_at
    BEFORE UPDATE ON auth.users
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

COMMENT ON COLUMN auth.users.password_hash IS
    'argon2id hash in PHC string format ($argon2id$v=19$...); never the password.';

CREATE TABLE auth.user_sessions (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    user_id UUID NOT NULL,
    token_hash VARCHAR(255) NOT NULL,
    refresh_token_hash VARCHAR(255),
    device_info JSONB,
    ip_address INET NOT NULL,
    user_agent TEXT,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_activity TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT user_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT uq_user_sessions_token_hash UNIQUE (token_hash),
    CONSTRAINT uq_user_sessions_refresh_token_hash UNIQUE (refresh_token_hash),
    CONSTRAINT fk_user_sessions_user_id FOREIGN KEY (user_id)
        REFERENCES auth.users (id) ON DELETE CASCADE,
    CONSTRAINT chk_user_sessions_status_valid
        CHECK (status IN ('active', 'expired', 'revoked')),
    CONSTRAINT chk_expires_after_created CHECK (expires_at > created_at)
);

-- RLS goes through user_id, and deleting a user cascades here; the spec's
-- idx_user_sessions_user_active is partial (status = 'active') so it serves neither.
CREATE INDEX idx_user_sessions_user_id ON auth.user_sessions (user_id, id);

COMMENT ON COLUMN auth.user_sessions.token_hash IS
    'Lower-case hex SHA-256 of the session token; the token itself is never stored.';
COMMENT ON COLUMN auth.user_sessions.refresh_token_hash IS
    'Lower-case hex SHA-256 of the refresh token; the token itself is never stored.';

CREATE TABLE auth.user_mfa (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    user_id UUID NOT NULL,
    mfa_type VARCHAR(20) NOT NULL,
    is_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    secret_key VARCHAR(255),
    backup_codes TEXT[],
    last_used TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT user_mfa_pkey PRIMARY KEY (id),
    -- Leads with user_id, so it also serves RLS and the cascade from auth.users.
    CONSTRAINT uq_user_mfa_user_id_mfa_type UNIQUE (user_id, mfa_type),
    CONSTRAINT fk_user_mfa_user_id FOREIGN KEY (user_id)
        REFERENCES auth.users (id) ON DELETE CASCADE,
    CONSTRAINT chk_user_mfa_mfa_type_valid CHECK (mfa_type IN ('totp', 'sms', 'email'))
);

CREATE TRIGGER trg_user_mfa_updated_at
    BEFORE UPDATE ON auth.user_mfa
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

COMMENT ON COLUMN auth.user_mfa.secret_key IS
    'TOTP secret as a base64 AEAD envelope written by the application (key id inside, so keys rotate); never plain.';
COMMENT ON COLUMN auth.user_mfa.backup_codes IS
    'One hash per unused backup code (PHC string); the codes themselves are never stored.';

CREATE TABLE auth.oauth_connections (
    id UUID NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    user_id UUID NOT NULL,
    provider VARCHAR(50) NOT NULL,
    provider_user_id VARCHAR(255) NOT NULL,
    provider_email VARCHAR(255),
    access_token TEXT,
    refresh_token TEXT,
    token_expires_at TIMESTAMP WITH TIME ZONE,
    provider_data JSONB,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT oauth_connections_pkey PRIMARY KEY (id),
    CONSTRAINT uq_oauth_connections_provider_provider_user_id UNIQUE (provider, provider_user_id),
    CONSTRAINT fk_oauth_connections_user_id FOREIGN KEY (user_id)
        REFERENCES auth.users (id) ON DELETE CASCADE,
    CONSTRAINT chk_oauth_connections_provider_valid
        CHECK (provider IN ('google', 'microsoft', 'linkedin')),
    CONSTRAINT chk_oauth_connections_status_valid
        CHECK (status IN ('active', 'inactive', 'revoked'))
);

-- RLS goes through user_id, and deleting a user cascades here.
CREATE INDEX idx_oauth_connections_user_id ON auth.oauth_connections (user_id, id);

CREATE TRIGGER trg_oauth_connections_updated_at
    BEFORE UPDATE ON auth.oauth_connections
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

COMMENT ON COLUMN auth.oauth_connections.access_token IS
    'Provider access token as a base64 AEAD envelope written by the application (key id inside); never plain.';
COMMENT ON COLUMN auth.oauth_connections.refresh_token IS
    'Provider refresh token as a base64 AEAD envelope written by the application (key id inside); never plain.';
