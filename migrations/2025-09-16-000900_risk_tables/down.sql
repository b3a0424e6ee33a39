-- Undo 000900.
DROP TABLE risk.compliance_records;
DROP TABLE risk.risk_assessments;
