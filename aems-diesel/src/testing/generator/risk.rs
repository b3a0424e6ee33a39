//! risk: risk assessments (some reassessed) and compliance records.

use aems_core::risk::compliance_records::{ComplianceStatus, NewComplianceRecord};
use aems_core::risk::risk_assessments::{NewRiskAssessment, Reassessment, RiskStatus};
use aems_core::{EmployeeId, Impact, Likelihood};
use chrono::{Datelike, NaiveDate, TimeDelta};

use crate::risk::{RevisedPlans, RiskRepositories};

use super::words::*;
use super::*;

impl TenantRun<'_> {
    /// Risks owned by department heads (some reassessed at a review).
    pub(super) async fn risks(&self) -> Result<()> {
        if self.counts.risks == 0 {
            return Ok(());
        }
        let mut rng = self.rng(Stream::Risks);
        let as_of = self.as_of();
        let owners: Vec<EmployeeId> = self
            .staff
            .iter()
            .filter(|s| matches!(s.level, Level::Ceo | Level::Head))
            .map(|s| s.id)
            .collect();
        let mut news = Vec::new();
        for n in 0..self.counts.risks {
            let (category, name, description) = RISKS[n % RISKS.len()];
            let round = n / RISKS.len();
            let name = if round == 0 {
                name.to_owned()
            } else {
                format!("{name} ({})", rng.pick(REGIONS))
            };
            let status = rng.weighted(&[
                (RiskStatus::Open, 55),
                (RiskStatus::Mitigated, 25),
                (RiskStatus::Accepted, 12),
                (RiskStatus::Closed, 8),
            ]);
            let last_review = if rng.chance(70) {
                Some(minus_days(as_of, rng.range(30, 200)))
            } else {
                None
            };
            let next_review = match last_review {
                Some(last) => last + TimeDelta::days(*rng.pick(&[90, 120, 180])),
                None => as_of + TimeDelta::days(rng.range(10, 120)),
            };
            news.push(NewRiskAssessment {
                risk_name: text("risk_name", name)?,
                risk_category: text("risk_category", category)?,
                description: text("description", description)?,
                likelihood: factor::<Likelihood>("likelihood", &mut rng)?,
                impact: factor::<Impact>("impact", &mut rng)?,
                owner_id: *rng.pick(&owners),
                status,
                mitigation_plan: if rng.chance(80) {
                    Some(text("mitigation_plan", rng.pick(MITIGATIONS))?)
                } else {
                    None
                },
                contingency_plan: if rng.chance(50) {
                    Some(text("contingency_plan", rng.pick(CONTINGENCIES))?)
                } else {
                    None
                },
                last_review_date: last_review,
                next_review_date: next_review,
            });
        }
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        let created = uow.risk_assessments().create_many(news).await?;
        for risk in &created {
            if risk.status == RiskStatus::Closed || !rng.chance(35) {
                continue;
            }
            let reviewed_on = minus_days(as_of, rng.range(0, 14))
                .max(risk.last_review_date.unwrap_or(NaiveDate::MIN));
            let nudge = |v: i32, rng: &mut Rng| (v + rng.range(-1, 1) as i32).clamp(1, 5);
            let review = Reassessment {
                likelihood: value(
                    "likelihood",
                    Likelihood::new(nudge(risk.rating.likelihood.as_i32(), &mut rng)),
                )?,
                impact: value(
                    "impact",
                    Impact::new(nudge(risk.rating.impact.as_i32(), &mut rng)),
                )?,
                reviewed_on,
                next_review_date: reviewed_on + TimeDelta::days(90),
            };
            let plans = if rng.chance(40) {
                RevisedPlans::unchanged()
                    .mitigation(Some(text("mitigation_plan", rng.pick(MITIGATIONS))?))
            } else {
                RevisedPlans::unchanged()
            };
            uow.risk_assessments()
                .reassess(risk.id, review, plans)
                .await?;
        }
        uow.commit().await?;
        Ok(())
    }

    /// Compliance records per regulation, owned by employees.
    pub(super) async fn compliance(&self) -> Result<()> {
        if self.counts.compliance_records == 0 {
            return Ok(());
        }
        let mut rng = self.rng(Stream::Compliance);
        let as_of = self.as_of();
        let owners: Vec<EmployeeId> = self
            .staff
            .iter()
            .filter(|s| s.level != Level::Staff)
            .map(|s| s.id)
            .collect();
        let mut news = Vec::new();
        for n in 0..self.counts.compliance_records {
            let (regulation, area, requirement) = REGULATIONS[n % REGULATIONS.len()];
            let round = n / REGULATIONS.len();
            let regulation = if round == 0 {
                regulation.to_owned()
            } else {
                format!("{regulation} ({})", rng.pick(REGIONS))
            };
            let status = rng.weighted(&[
                (ComplianceStatus::Compliant, 55),
                (ComplianceStatus::InProgress, 22),
                (ComplianceStatus::NonCompliant, 13),
                (ComplianceStatus::NotApplicable, 10),
            ]);
            let last_audit = (status != ComplianceStatus::NotApplicable)
                .then(|| minus_days(as_of, rng.range(20, 400)));
            let next_audit = last_audit.map(|d| d + TimeDelta::days(*rng.pick(&[180, 365])));
            let open = matches!(
                status,
                ComplianceStatus::InProgress | ComplianceStatus::NonCompliant
            );
            news.push(NewComplianceRecord {
                regulation_name: text("regulation_name", regulation)?,
                compliance_area: text("compliance_area", area)?,
                requirement_description: text("requirement_description", requirement)?,
                compliance_status: status,
                last_audit_date: last_audit,
                next_audit_date: next_audit,
                responsible_party: *rng.pick(&owners),
                evidence_documentation: (status == ComplianceStatus::Compliant)
                    .then(|| {
                        text(
                            "evidence_documentation",
                            format!(
                                "Audit report {} and control evidence in {}",
                                last_audit.map_or(as_of.year(), |d| d.year()),
                                rng.pick(&[
                                    "the GRC tool",
                                    "the compliance drive",
                                    "the audit portal"
                                ])
                            ),
                        )
                    })
                    .transpose()?,
                remediation_plan: if open {
                    Some(text("remediation_plan", rng.pick(REMEDIATIONS))?)
                } else {
                    None
                },
                deadline: open.then(|| as_of + TimeDelta::days(rng.range(-30, 180))),
            });
        }
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        uow.compliance_records().create_many(news).await?;
        uow.commit().await?;
        Ok(())
    }
}

/// (category, name, description)
const RISKS: &[(&str, &str, &str)] = &[
    (
        "Cybersecurity",
        "Ransomware attack on production systems",
        "Encryption of production data and backups would halt operations for days.",
    ),
    (
        "Cybersecurity",
        "Credential compromise through phishing",
        "A stolen administrator password could expose customer data.",
    ),
    (
        "Operational",
        "Failure of a key supplier",
        "A single-source component supplier is in financial difficulty.",
    ),
    (
        "Financial",
        "Foreign exchange exposure",
        "A third of revenue is invoiced in foreign currencies without hedging.",
    ),
    (
        "Compliance",
        "Backlog of data subject requests",
        "Requests under privacy law are not answered within the statutory deadline.",
    ),
    (
        "Strategic",
        "Price war with a larger competitor",
        "A competitor cuts prices by 30% in our core segment.",
    ),
    (
        "Operational",
        "Warehouse fire",
        "A fire in the main warehouse would destroy stock and stop shipping.",
    ),
    (
        "People",
        "Loss of key engineering staff",
        "Knowledge of the billing system is held by two engineers.",
    ),
    (
        "Financial",
        "Customer concentration",
        "The five largest customers account for 40% of revenue.",
    ),
    (
        "Technology",
        "Cloud region outage",
        "All services run in one cloud region without failover.",
    ),
    (
        "Legal",
        "Intellectual property claim",
        "A patent holder alleges infringement by the mobile app.",
    ),
    (
        "Reputational",
        "Negative press about data use",
        "Coverage of how customer data is used could cost trust.",
    ),
];

const MITIGATIONS: &[&str] = &[
    "Quarterly restore tests and immutable offsite backups.",
    "Enforce phishing-resistant MFA for all administrators.",
    "Qualify a second supplier and keep eight weeks of safety stock.",
    "Hedge 50% of forecast foreign revenue with forwards.",
    "Automate the request workflow and add a weekly backlog review.",
    "Document the system and pair-rotate on-call duties.",
];

const CONTINGENCIES: &[&str] = &[
    "Invoke the incident response plan and notify the insurer.",
    "Switch to the secondary region from the runbook.",
    "Ship from the backup warehouse with extended lead times.",
    "Engage outside counsel and prepare a public statement.",
];

/// (regulation, area, requirement)
const REGULATIONS: &[(&str, &str, &str)] = &[
    (
        "GDPR",
        "Data protection",
        "Keep a record of processing activities and answer data subject requests within one month.",
    ),
    (
        "SOC 2 Type II",
        "Security",
        "Operate access, change and incident controls effectively over the audit period.",
    ),
    (
        "ISO/IEC 27001",
        "Information security",
        "Maintain an information security management system with a risk treatment plan.",
    ),
    (
        "PCI DSS 4.0",
        "Payments",
        "Protect stored cardholder data and scan external systems quarterly.",
    ),
    (
        "SOX Section 404",
        "Financial reporting",
        "Document and test internal controls over financial reporting.",
    ),
    (
        "CCPA",
        "Privacy",
        "Honour opt-out requests for the sale or sharing of personal information.",
    ),
    (
        "ISO 9001",
        "Quality",
        "Run internal quality audits and management reviews each year.",
    ),
    (
        "OSHA",
        "Workplace safety",
        "Record workplace injuries and train warehouse staff on equipment safety.",
    ),
    (
        "AML/KYC",
        "Financial crime",
        "Verify the identity of business customers before the first invoice.",
    ),
    (
        "WCAG 2.1 AA",
        "Accessibility",
        "Make customer-facing web pages accessible to assistive technology.",
    ),
    (
        "ISO 14001",
        "Environment",
        "Track energy use and waste, and set yearly reduction targets.",
    ),
    (
        "NIS2",
        "Cyber resilience",
        "Report significant incidents to the authority within 24 hours.",
    ),
];

const REMEDIATIONS: &[&str] = &[
    "Assign an owner per control gap and close findings before the next audit.",
    "Roll out the new policy and train staff by the deadline.",
    "Engage an external consultant to run a gap assessment.",
    "Automate evidence collection in the GRC tool.",
];
