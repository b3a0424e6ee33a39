-- Shared functions in schema public (the spec's 03-functions.sql and its data
-- encryption functions), plus calculate_risk_level. Created with CREATE, not
-- CREATE OR REPLACE: a same-named function already in this database is reported,
-- never silently overwritten (and then dropped by down.sql).

-- BEFORE UPDATE trigger function: stamps updated_at (trg_{table}_updated_at).
-- It references no other object, so it needs no fixed search_path (and per-row
-- trigger calls stay free of the SET overhead).
CREATE FUNCTION public.update_updated_at_column()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION public.update_updated_at_column() IS
    'BEFORE UPDATE row trigger: sets NEW.updated_at to CURRENT_TIMESTAMP (transaction start).';

-- The spec's risk score (likelihood x impact). IMMUTABLE so it can serve in
-- expressions and indexes; the table enforces the same rule with a CHECK.
CREATE FUNCTION public.calculate_risk_score(likelihood integer, impact integer)
RETURNS integer
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    RETURN likelihood * impact;
END;
$$;

COMMENT ON FUNCTION public.calculate_risk_score(integer, integer) IS
    'Risk score = likelihood * impact (1-25 for inputs 1-5); risk.risk_assessments enforces it by CHECK.';

-- Risk level from a score: low 1-4, medium 5-9, high 10-16, critical 17-25. The same
-- thresholds are written out in chk_risk_assessments_risk_level_matches_score.
CREATE FUNCTION public.calculate_risk_level(score integer)
RETURNS varchar
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    IF score < 1 OR score > 25 THEN
        RAISE EXCEPTION 'risk score % is outside 1..25', score
            USING ERRCODE = 'numeric_value_out_of_range';
    END IF;
    RETURN CASE
        WHEN score <= 4 THEN 'low'
        WHEN score <= 9 THEN 'medium'
        WHEN score <= 16 THEN 'high'
        ELSE 'critical'
    END;
END;
$$;

COMMENT ON FUNCTION public.calculate_risk_level(integer) IS
    'Risk level for a score 1-25: low 1-4, medium 5-9, high 10-16, critical 17-25; raises outside 1-25.';

-- The spec's encryption helpers for SQL consumers, keyed by the app.encryption_key
-- setting (set it with set_config(..., true) so the key never appears in query text).
-- SECURITY INVOKER (the spec says DEFINER): pgcrypto is executable by everyone, so a
-- definer buys nothing, and a definer without a fixed search_path is a hijack hole.
-- An empty or missing key is an error, never a NULL result.
CREATE FUNCTION public.encrypt_sensitive_data(data text)
RETURNS text
LANGUAGE plpgsql
STRICT
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $$
DECLARE
    key text := pg_catalog.current_setting('app.encryption_key');
BEGIN
    IF key = '' THEN
        RAISE EXCEPTION 'app.encryption_key is empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN pg_catalog.encode(public.pgp_sym_encrypt(data, key), 'base64');
END;
$$;

COMMENT ON FUNCTION public.encrypt_sensitive_data(text) IS
    'pgp_sym_encrypt with current_setting(''app.encryption_key''), base64-encoded. Fails if the key is unset or empty.';

CREATE FUNCTION public.decrypt_sensitive_data(encrypted_data text)
RETURNS text
LANGUAGE plpgsql
STABLE STRICT
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $$
DECLARE
    key text := pg_catalog.current_setting('app.encryption_key');
BEGIN
    IF key = '' THEN
        RAISE EXCEPTION 'app.encryption_key is empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN public.pgp_sym_decrypt(pg_catalog.decode(encrypted_data, 'base64'), key);
END;
$$;

COMMENT ON FUNCTION public.decrypt_sensitive_data(text) IS
    'Inverse of encrypt_sensitive_data, keyed by current_setting(''app.encryption_key'').';
