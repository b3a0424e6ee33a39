-- Undo 000300.
DROP FUNCTION public.decrypt_sensitive_data(text);
DROP FUNCTION public.encrypt_sensitive_data(text);
DROP FUNCTION public.calculate_risk_level(integer);
DROP FUNCTION public.calculate_risk_score(integer, integer);
DROP FUNCTION public.update_updated_at_column();
