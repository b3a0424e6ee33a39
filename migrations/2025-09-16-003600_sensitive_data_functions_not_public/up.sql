-- encrypt_sensitive_data / decrypt_sensitive_data (000300) were executable by PUBLIC,
-- as every new function is: any role of the cluster, the platform role and the bare
-- login role included, could run them with whatever app.encryption_key its session
-- holds. They exist for SQL consumers working as application_user (granted in
-- 001300); nobody else needs them.
REVOKE EXECUTE ON FUNCTION public.encrypt_sensitive_data(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION public.decrypt_sensitive_data(text) FROM PUBLIC;
