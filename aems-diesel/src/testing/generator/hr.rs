//! hr: the manager hierarchy with sealed salaries, and candidates through
//! recruitment (some hired).

use std::collections::BTreeSet;

use aems_core::auth::users::UserRole;
use aems_core::hr::employees::{EmployeeStatus, EmploymentType, NewEmployee};
use aems_core::hr::recruitment_pipeline::{NewCandidate, RecruitmentStage};
use aems_core::{CurrencyCode, EmployeeId, UserId};
use chrono::{NaiveDate, TimeDelta};

use crate::hr::HrRepositories;

use super::auth::{phone, rng_country, split_name, unique_email};
use super::words::*;
use super::*;

impl TenantRun<'_> {
    /// The hierarchy: a CEO (the admin), a head per department (managers
    /// first), team leads in large departments, staff; created level by
    /// level, a few then terminated.
    pub(super) async fn staff(&mut self) -> Result<()> {
        let mut rng = self.rng(Stream::Staff);
        let as_of = self.as_of();
        let n = self.counts.employees;
        let wanted = (n / 7).clamp(2, DEPARTMENTS.len());
        let mut departments: Vec<&'static str> = DEPARTMENTS.to_vec();
        rng.shuffle(&mut departments);
        departments.truncate(wanted);
        departments.sort_unstable();
        self.departments = departments;
        let founded = minus_days(as_of, rng.range(4 * 365, 12 * 365));
        // Users become employees: the admin the CEO, managers heads, users staff.
        let admin = self.admin().id;
        let mut managers: Vec<UserId> = self
            .people
            .iter()
            .filter(|p| p.role == UserRole::Manager)
            .map(|p| p.id)
            .collect();
        let mut others: Vec<UserId> = self
            .people
            .iter()
            .filter(|p| matches!(p.role, UserRole::User | UserRole::Viewer))
            .map(|p| p.id)
            .collect();
        managers.reverse();
        others.reverse();
        self.addresses = self.people.iter().map(|p| p.email.clone()).collect();
        // Who goes where: heads first, then staff spread by department weight.
        let heads = (n - 1).min(self.departments.len());
        let rest = n - 1 - heads;
        let weights: Vec<(usize, u32)> = self
            .departments
            .iter()
            .enumerate()
            .map(|(i, d)| (i, department_weight(d)))
            .collect();
        let mut members: Vec<usize> = (0..rest).map(|_| rng.weighted(&weights)).collect();
        members.sort_unstable();
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;

        // The CEO.
        let ceo_input = self.employee(
            &mut rng,
            EmployeeSpec {
                name: None,
                department: "Executive",
                title: "Chief Executive Officer",
                level: Level::Ceo,
                manager: None,
                hire_date: founded,
                user: Some(admin),
            },
        )?;
        let ceo = uow.employees().create(ceo_input).await?;
        self.staff.push(Staffer {
            id: ceo.id,
            department: usize::MAX,
            level: Level::Ceo,
            hire_date: founded,
            user: Some(admin),
        });

        // Heads of department.
        let mut inputs = Vec::new();
        let mut meta = Vec::new();
        for d in 0..heads {
            let user = managers.pop();
            let hire_date = founded + TimeDelta::days(rng.range(0, 2 * 365));
            let hire_date = hire_date.min(as_of);
            let dept = self.departments[d];
            inputs.push(self.employee(
                &mut rng,
                EmployeeSpec {
                    name: None,
                    department: dept,
                    title: &format!("Head of {dept}"),
                    level: Level::Head,
                    manager: Some(ceo.id),
                    hire_date,
                    user,
                },
            )?);
            meta.push((d, Level::Head, hire_date, user));
        }
        let created = uow.employees().create_many(inputs).await?;
        let mut head_of = vec![ceo.id; self.departments.len()];
        for (e, (d, level, hire_date, user)) in created.iter().zip(meta) {
            head_of[d] = e.id;
            self.staff.push(Staffer {
                id: e.id,
                department: d,
                level,
                hire_date,
                user,
            });
        }

        // Team leads: one per eight staff of a department.
        let mut inputs = Vec::new();
        let mut meta = Vec::new();
        let mut leads_of: Vec<Vec<EmployeeId>> = vec![Vec::new(); self.departments.len()];
        let mut staff_left = Vec::new();
        for (d, (dept, head)) in self
            .departments
            .clone()
            .into_iter()
            .zip(&head_of)
            .enumerate()
        {
            let size = members.iter().filter(|m| **m == d).count();
            let leads = size / 8;
            for _ in 0..leads {
                let user = managers.pop();
                let hire_date = random_hire(&mut rng, founded, as_of);
                inputs.push(self.employee(
                    &mut rng,
                    EmployeeSpec {
                        name: None,
                        department: dept,
                        title: &format!("{dept} Team Lead"),
                        level: Level::Lead,
                        manager: Some(*head),
                        hire_date,
                        user,
                    },
                )?);
                meta.push((d, Level::Lead, hire_date, user));
            }
            staff_left.extend(std::iter::repeat_n(d, size - leads));
        }
        let created = uow.employees().create_many(inputs).await?;
        for (e, (d, level, hire_date, user)) in created.iter().zip(meta) {
            leads_of[d].push(e.id);
            self.staff.push(Staffer {
                id: e.id,
                department: d,
                level,
                hire_date,
                user,
            });
        }

        // Staff, reporting to a lead of their department or its head.
        let mut inputs = Vec::new();
        let mut meta = Vec::new();
        for d in staff_left {
            let manager = if leads_of[d].is_empty() {
                head_of[d]
            } else {
                *rng.pick(&leads_of[d])
            };
            let user = others.pop();
            let hire_date = random_hire(&mut rng, founded, as_of);
            let title = *rng.pick(titles_of(self.departments[d]));
            inputs.push(self.employee(
                &mut rng,
                EmployeeSpec {
                    name: None,
                    department: self.departments[d],
                    title,
                    level: Level::Staff,
                    manager: Some(manager),
                    hire_date,
                    user,
                },
            )?);
            meta.push((d, Level::Staff, hire_date, user));
        }
        let created = uow.employees().create_many(inputs).await?;
        for (e, (d, level, hire_date, user)) in created.iter().zip(meta) {
            self.staff.push(Staffer {
                id: e.id,
                department: d,
                level,
                hire_date,
                user,
            });
        }
        for e in &self.staff {
            self.hires.push(e.hire_date);
        }

        // A few leave (staff without a user account only).
        let leavers: Vec<(EmployeeId, NaiveDate)> = self
            .staff
            .iter()
            .filter(|s| s.level == Level::Staff && s.user.is_none())
            .map(|s| (s.id, s.hire_date))
            .collect();
        for (id, hired) in leavers {
            if rng.chance(6) {
                let span = (as_of - hired).num_days().max(1);
                let on = hired + TimeDelta::days(rng.range(span / 2, span));
                uow.employees()
                    .terminate(id, on, text("termination_reason", rng.pick(LEAVING))?)
                    .await?;
                self.departures.push(on);
            }
        }
        uow.commit().await?;
        Ok(())
    }

    /// A new employee's input (also for hires from recruitment).
    fn employee(&mut self, rng: &mut Rng, spec: EmployeeSpec<'_>) -> Result<NewEmployee> {
        let linked = spec
            .user
            .and_then(|u| self.people.iter().find(|p| p.id == u));
        let (first, last, email) = match (linked, spec.name) {
            (Some(p), _) => (p.first, p.last, p.email.clone()),
            (None, Some((first, last))) => (
                first,
                last,
                unique_email(first, last, &self.domain, &mut self.addresses),
            ),
            (None, None) => {
                let (first, last) = (*rng.pick(FIRST_NAMES), *rng.pick(LAST_NAMES));
                let email = unique_email(first, last, &self.domain, &mut self.addresses);
                (first, last, email)
            }
        };
        let code = self.next_employee_code;
        self.next_employee_code += 1;
        let employment_type = match spec.level {
            Level::Staff => rng.weighted(&[
                (EmploymentType::FullTime, 78),
                (EmploymentType::PartTime, 8),
                (EmploymentType::Contractor, 9),
                (EmploymentType::Intern, 5),
            ]),
            _ => EmploymentType::FullTime,
        };
        let base = match (spec.level, employment_type) {
            (Level::Ceo, _) => rng.range(180_000, 350_000),
            (Level::Head, _) => rng.range(120_000, 220_000),
            (Level::Lead, _) => rng.range(95_000, 160_000),
            (_, EmploymentType::Intern) => rng.range(20_000, 35_000),
            (_, EmploymentType::PartTime) => rng.range(25_000, 60_000),
            _ => rng.range(48_000, 140_000),
        };
        let salary = if employment_type == EmploymentType::Contractor && rng.chance(50) {
            None
        } else {
            Some(numeric::<12, 2>("salary", base * 100)?)
        };
        let tenure = (self.as_of() - spec.hire_date).num_days();
        let status = match spec.level {
            Level::Staff => rng.weighted(&[
                (EmployeeStatus::Active, 92),
                (EmployeeStatus::OnLeave, 5),
                (EmployeeStatus::Inactive, 3),
            ]),
            _ => EmployeeStatus::Active,
        };
        let city = rng.pick(CITIES);
        Ok(NewEmployee {
            user_id: spec.user,
            employee_code: text("employee_code", format!("E{code:05}"))?,
            first_name: text("first_name", first)?,
            last_name: text("last_name", last)?,
            email: text("email", email)?,
            phone: if rng.chance(70) {
                Some(text("phone", phone(rng, city.2))?)
            } else {
                None
            },
            department: text("department", spec.department)?,
            job_title: text("job_title", spec.title)?,
            manager_id: spec.manager,
            hire_date: spec.hire_date,
            employment_type,
            status,
            salary,
            salary_currency: text::<CurrencyCode>("salary_currency", self.currency)?,
            location: Some(text("location", format!("{}, {}", city.0, city.1))?),
            remote_work: rng.chance(35),
            performance_rating: if tenure > 180 && rng.chance(80) {
                Some(rating("performance_rating", rng.range(25, 50))?)
            } else {
                None
            },
            last_promotion_date: if tenure > 400 && rng.chance(25) {
                Some(spec.hire_date + TimeDelta::days(rng.range(365, tenure)))
            } else {
                None
            },
        })
    }

    fn head_of(&self, department: usize) -> EmployeeId {
        self.staff
            .iter()
            .find(|s| s.level == Level::Head && s.department == department)
            .or_else(|| self.staff.iter().find(|s| s.level == Level::Ceo))
            .map(|s| s.id)
            .expect("the CEO exists")
    }

    /// Candidates in every stage: created in an open stage, some moved
    /// forward, hired from an offer (their employee created with them),
    /// rejected with a reason, or withdrawn.
    pub(super) async fn candidates(&mut self) -> Result<()> {
        if self.counts.candidates == 0 {
            return Ok(());
        }
        let mut rng = self.rng(Stream::Candidates);
        let as_of = self.as_of();
        let recruiters: Vec<UserId> = self
            .people
            .iter()
            .filter(|p| p.active() && matches!(p.role, UserRole::Admin | UserRole::Manager))
            .map(|p| p.id)
            .collect();
        #[derive(Clone, Copy)]
        enum Plan {
            Open,
            Moved(RecruitmentStage),
            Hire(NaiveDate),
            Reject(&'static str),
            Withdraw,
        }
        let mut news = Vec::new();
        let mut plans = Vec::new();
        let mut taken = BTreeSet::new();
        for _ in 0..self.counts.candidates {
            let d = rng.below(self.departments.len() as u64) as usize;
            let dept = self.departments[d];
            let (first, last) = (rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
            let outcome = rng.weighted(&[
                (RecruitmentStage::Applied, 22),
                (RecruitmentStage::Screening, 18),
                (RecruitmentStage::Interview, 16),
                (RecruitmentStage::ReferenceCheck, 7),
                (RecruitmentStage::Offer, 7),
                (RecruitmentStage::Hired, 12),
                (RecruitmentStage::Rejected, 13),
            ]);
            let withdrawn = outcome != RecruitmentStage::Hired && rng.chance(5);
            let applied = minus_days(as_of, rng.range(5, 120));
            let (stage, plan, applied) = match outcome {
                RecruitmentStage::Hired => {
                    let applied = minus_days(as_of, rng.range(60, 150));
                    let start = applied + TimeDelta::days(rng.range(30, 59));
                    (RecruitmentStage::Offer, Plan::Hire(start), applied)
                }
                RecruitmentStage::Rejected => {
                    let reason = *rng.pick(REJECTIONS);
                    (
                        *rng.pick(&OPEN_RECRUITMENT_STAGES),
                        Plan::Reject(reason),
                        applied,
                    )
                }
                open if withdrawn => (open, Plan::Withdraw, applied),
                open if open != RecruitmentStage::Applied && rng.chance(30) => {
                    (previous_recruitment_stage(open), Plan::Moved(open), applied)
                }
                open => (open, Plan::Open, applied),
            };
            let host = *rng.pick(&["mail.example.net", "post.example.org", "inbox.example.com"]);
            let email = unique_email(first, last, host, &mut taken);
            news.push(NewCandidate {
                job_title: text("job_title", *rng.pick(titles_of(dept)))?,
                department: text("department", dept)?,
                candidate_name: text("candidate_name", format!("{first} {last}"))?,
                candidate_email: text("candidate_email", email)?,
                candidate_phone: if rng.chance(80) {
                    let country = rng_country(&mut rng);
                    Some(text("candidate_phone", phone(&mut rng, country))?)
                } else {
                    None
                },
                stage,
                source: Some(text("source", rng.pick(CANDIDATE_SOURCES))?),
                recruiter_id: *rng.pick(&recruiters),
                hiring_manager_id: self.head_of(d),
                resume_url: if rng.chance(90) {
                    Some(text(
                        "resume_url",
                        format!(
                            "https://files.example.com/{}/resumes/{:012x}.pdf",
                            self.slug,
                            rng.below(1 << 48)
                        ),
                    )?)
                } else {
                    None
                },
                cover_letter_url: if rng.chance(40) {
                    Some(text(
                        "cover_letter_url",
                        format!(
                            "https://files.example.com/{}/letters/{:012x}.pdf",
                            self.slug,
                            rng.below(1 << 48)
                        ),
                    )?)
                } else {
                    None
                },
                application_date: applied,
                expected_start_date: None,
                salary_expectation: if rng.chance(70) {
                    Some(numeric::<12, 2>(
                        "salary_expectation",
                        rng.range(45_000, 160_000) * 100,
                    )?)
                } else {
                    None
                },
                notes: if rng.chance(30) {
                    Some(text("notes", rng.pick(CANDIDATE_NOTES))?)
                } else {
                    None
                },
            });
            plans.push((plan, d));
        }
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        let created = uow.recruitment_pipeline().create_many(news).await?;
        for (candidate, (plan, d)) in created.iter().zip(plans) {
            match plan {
                Plan::Open => {}
                Plan::Moved(to) => {
                    uow.recruitment_pipeline()
                        .move_to_stage(candidate.id, to)
                        .await?;
                }
                Plan::Reject(reason) => {
                    uow.recruitment_pipeline()
                        .reject(candidate.id, text("rejection_reason", reason)?)
                        .await?;
                }
                Plan::Withdraw => {
                    uow.recruitment_pipeline().withdraw(candidate.id).await?;
                }
                Plan::Hire(start) => {
                    let manager = self.head_of(d);
                    let mut input = self.employee(
                        &mut rng,
                        EmployeeSpec {
                            name: Some(split_name(candidate.candidate_name.as_str())),
                            department: self.departments[d],
                            title: candidate.job_title.as_str(),
                            level: Level::Staff,
                            manager: Some(manager),
                            hire_date: start,
                            user: None,
                        },
                    )?;
                    input.status = EmployeeStatus::Active;
                    let hire = uow.recruitment_pipeline().hire(candidate.id, input).await?;
                    self.staff.push(Staffer {
                        id: hire.employee.id,
                        department: d,
                        level: Level::Staff,
                        hire_date: start,
                        user: None,
                    });
                    self.hires.push(start);
                }
            }
        }
        uow.commit().await?;
        Ok(())
    }
}

struct EmployeeSpec<'s> {
    /// Given names (a hire's), else the linked user's, else random ones.
    name: Option<(&'s str, &'s str)>,
    department: &'s str,
    title: &'s str,
    level: Level,
    manager: Option<EmployeeId>,
    hire_date: NaiveDate,
    user: Option<UserId>,
}

fn random_hire(rng: &mut Rng, founded: NaiveDate, as_of: NaiveDate) -> NaiveDate {
    let span = (as_of - founded).num_days().max(1);
    // More recent hires than old ones: a growing company.
    let back = rng.range(0, span).min(rng.range(0, span));
    minus_days(as_of, back).max(founded)
}

const OPEN_RECRUITMENT_STAGES: [RecruitmentStage; 5] = [
    RecruitmentStage::Applied,
    RecruitmentStage::Screening,
    RecruitmentStage::Interview,
    RecruitmentStage::ReferenceCheck,
    RecruitmentStage::Offer,
];

fn previous_recruitment_stage(stage: RecruitmentStage) -> RecruitmentStage {
    match stage {
        RecruitmentStage::Screening => RecruitmentStage::Applied,
        RecruitmentStage::Interview => RecruitmentStage::Screening,
        RecruitmentStage::ReferenceCheck => RecruitmentStage::Interview,
        RecruitmentStage::Offer => RecruitmentStage::ReferenceCheck,
        other => other,
    }
}

const CANDIDATE_SOURCES: &[&str] = &[
    "LinkedIn",
    "Referral",
    "Careers page",
    "Agency",
    "Job board",
    "University fair",
];

const CANDIDATE_NOTES: &[&str] = &[
    "Strong portfolio; schedule the technical interview.",
    "Notice period of three months.",
    "Prefers remote work.",
    "Referred by a current employee.",
    "Needs visa sponsorship.",
];

const REJECTIONS: &[&str] = &[
    "Not enough experience for the level.",
    "Salary expectations above the band.",
    "Another candidate was a better fit.",
    "Did not pass the technical assessment.",
    "Position filled internally.",
];
