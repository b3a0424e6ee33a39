-- Undo 000700.
DROP TABLE hr.recruitment_pipeline;
DROP TABLE hr.employees;
DROP TABLE hr.hr_metrics;
