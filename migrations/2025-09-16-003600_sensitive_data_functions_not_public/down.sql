GRANT EXECUTE ON FUNCTION public.encrypt_sensitive_data(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION public.decrypt_sensitive_data(text) TO PUBLIC;
