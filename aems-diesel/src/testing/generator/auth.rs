//! auth: the tenant's signup, its users, their sign-ins, second factors and
//! OAuth links; the people's names, addresses and phone numbers.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use aems_core::auth::oauth_connections::{NewOauthConnection, OauthProvider, OauthStatus};
use aems_core::auth::tenants::{NewTenant, SubscriptionPlan};
use aems_core::auth::user_mfa::MfaType;
use aems_core::auth::users::{NewUser, UserRole, UserStatus};
use aems_core::{Password, SecretString, UserId};
use chrono::TimeDelta;
use serde_json::json;

use crate::Database;
use crate::auth::AuthRepositories;
use crate::auth::{AuthError, Authenticator, ClientInfo, LoginOutcome};

use super::words::*;
use super::*;

impl<'a> TenantRun<'a> {
    /// Signs the tenant up: the tenant and its admin.
    pub(super) async fn sign_up(
        db: &'a Database,
        auth: &'a Authenticator,
        config: &'a GeneratorConfig,
        counts: Counts,
        index: usize,
    ) -> Result<Self> {
        let mut rng = Rng::stream(config.seed, &[index as u64, Stream::Tenant as u64]);
        let base = format!("{} {}", rng.pick(COMPANY_PREFIXES), rng.pick(TENANT_KINDS));
        let tag = format!("{}-{}", seed_tag(config.seed), index + 1);
        let name = format!("{base} ({tag})");
        let slug = format!("{}-{tag}", slugify(&base));
        let domain = format!("{slug}.example.com");
        let plan = rng.weighted(&[
            (SubscriptionPlan::Basic, 30),
            (SubscriptionPlan::Professional, 45),
            (SubscriptionPlan::Enterprise, 25),
        ]);
        let currency = rng.weighted(&[("USD", 55), ("EUR", 30), ("GBP", 15)]);
        let settings = object(json!({
            "timezone": rng.pick(TIMEZONES),
            "currency": currency,
            "locale": rng.pick(&["en-US", "en-GB", "de-DE", "fr-FR", "nl-NL"]),
            "fiscal_year_start": "01-01",
            "week_start": rng.pick(&["monday", "sunday"]),
        }));
        let mut taken = BTreeSet::new();
        let admin = person(
            &mut rng,
            &domain,
            &mut taken,
            UserRole::Admin,
            UserStatus::Active,
        );
        let tenant_input = NewTenant {
            settings,
            subscription_plan: plan,
            ..NewTenant::new(text("name", &name)?, text("slug", &slug)?)
        };
        let admin_input = NewUser {
            email_verified: true,
            ..new_user(&admin)?
        };
        let client = client_info(&mut rng);
        let (tenant, user) = auth.signup(tenant_input, admin_input, &client).await?;
        let admin = Person {
            id: user.id,
            ..admin
        };
        Ok(Self {
            db,
            auth,
            config,
            counts,
            index,
            tenant: tenant.id,
            name,
            slug,
            domain,
            currency,
            plan,
            people: vec![admin],
            departments: Vec::new(),
            staff: Vec::new(),
            next_employee_code: 1,
            hires: Vec::new(),
            departures: Vec::new(),
            addresses: BTreeSet::new(),
        })
    }

    /// The admin creates the other users: managers, users and a viewer or two;
    /// a few not yet active.
    pub(super) async fn users(&mut self) -> Result<()> {
        let mut rng = self.rng(Stream::Users);
        let mut taken: BTreeSet<String> = self.people.iter().map(|p| p.email.clone()).collect();
        let mut wanted = Vec::new();
        for i in 1..self.counts.users {
            let role = match i {
                1 => UserRole::Manager,
                _ => rng.weighted(&[
                    (UserRole::Manager, 22),
                    (UserRole::User, 63),
                    (UserRole::Viewer, 12),
                    (UserRole::Admin, 3),
                ]),
            };
            // The first two are active: an approver and a seller always exist.
            let status = if i <= 2 {
                UserStatus::Active
            } else {
                rng.weighted(&[
                    (UserStatus::Active, 88),
                    (UserStatus::Pending, 6),
                    (UserStatus::Inactive, 4),
                    (UserStatus::Suspended, 2),
                ])
            };
            wanted.push(person(&mut rng, &self.domain, &mut taken, role, status));
        }
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        for p in wanted {
            let input = NewUser {
                role: p.role,
                status: p.status,
                email_verified: p.status == UserStatus::Active || rng.chance(30),
                ..new_user(&p)?
            };
            let user = uow.users().create(input, self.auth.passwords()).await?;
            self.people.push(Person { id: user.id, ..p });
        }
        uow.commit().await?;
        Ok(())
    }

    /// Active users sign in (a few after a wrong password), refresh or sign
    /// out; then some enrol a second factor and some link an OAuth account.
    pub(super) async fn sign_ins(&mut self) -> Result<()> {
        let mut rng = self.rng(Stream::SignIns);
        let people: Vec<Person> = self.people.iter().filter(|p| p.active()).cloned().collect();
        for p in &people {
            let client = client_info(&mut rng);
            if rng.chance(15) {
                match self
                    .auth
                    .login(&p.email, "not-the-password-1", &client)
                    .await
                {
                    Err(AuthError::InvalidCredentials) => {}
                    Err(other) => return Err(other.into()),
                    Ok(_) => return Err(GeneratorError::Unexpected("a wrong password signed in")),
                }
            }
            for _ in 0..rng.range(1, 3) {
                let LoginOutcome::SignedIn(session) =
                    self.auth.login(&p.email, &p.password, &client).await?
                else {
                    return Err(GeneratorError::Unexpected(
                        "a second factor was asked before any was enrolled",
                    ));
                };
                if rng.chance(30) {
                    let rotated = self
                        .auth
                        .refresh(session.refresh_token.expose(), &client)
                        .await?;
                    if rng.chance(30) {
                        self.auth
                            .logout(rotated.session_token.expose(), &client)
                            .await?;
                    }
                } else if rng.chance(25) {
                    self.auth
                        .logout(session.session_token.expose(), &client)
                        .await?;
                }
            }
        }
        for (i, p) in people.iter().enumerate() {
            let ctx = p.ctx(self.tenant);
            let mut uow = self.db.unit_of_work(&ctx).await?;
            // Every admin protects the account with TOTP; others sometimes.
            let factor = if p.role == UserRole::Admin {
                Some(MfaType::Totp)
            } else {
                rng.weighted(&[
                    (Some(MfaType::Totp), 25),
                    (Some(MfaType::Sms), 10),
                    (Some(MfaType::Email), 8),
                    (None, 57),
                ])
            };
            match factor {
                Some(MfaType::Totp) => {
                    let enrolment = uow
                        .user_mfa()
                        .begin_totp_enrolment(p.id, self.auth.mfa())
                        .await?;
                    let secret =
                        crate::auth::TotpSecret::from_base32(enrolment.secret_base32.expose())
                            .ok_or(GeneratorError::Unexpected(
                                "an enrolment secret that is not base32",
                            ))?;
                    let now = self.auth.config().clock.now().timestamp();
                    let code = secret.code_at(now, self.auth.config().totp);
                    uow.user_mfa()
                        .confirm_totp(p.id, &code, self.auth.mfa())
                        .await?;
                }
                Some(other) => {
                    uow.user_mfa().enable_external(p.id, other).await?;
                }
                None => {}
            }
            // The admin always links a work account; others sometimes.
            if i == 0 || rng.chance(35) {
                let provider = rng.weighted(&[
                    (OauthProvider::Google, 50),
                    (OauthProvider::Microsoft, 35),
                    (OauthProvider::Linkedin, 15),
                ]);
                let expires = midnight(self.as_of()) + TimeDelta::minutes(rng.range(5, 24 * 60));
                let link = NewOauthConnection {
                    user_id: p.id,
                    provider,
                    provider_user_id: text(
                        "provider_user_id",
                        format!(
                            "{}{:02}{:015}",
                            seed_tag_digits(self.config.seed),
                            self.index % 100,
                            rng.below(1_000_000_000_000_000)
                        ),
                    )?,
                    provider_email: Some(text("provider_email", &p.email)?),
                    access_token: Some(SecretString::new(format!(
                        "at-{:016x}{:016x}",
                        rng.next_u64(),
                        rng.next_u64()
                    ))),
                    refresh_token: Some(SecretString::new(format!(
                        "rt-{:016x}{:016x}",
                        rng.next_u64(),
                        rng.next_u64()
                    ))),
                    token_expires_at: Some(expires),
                    provider_data: Some(object(json!({
                        "locale": rng.pick(&["en", "en-GB", "de", "fr", "nl"]),
                        "hosted_domain": self.domain,
                        "scopes": ["openid", "email", "profile"],
                    }))),
                    status: rng.weighted(&[
                        (OauthStatus::Active, 85),
                        (OauthStatus::Inactive, 10),
                        (OauthStatus::Revoked, 5),
                    ]),
                };
                uow.oauth_connections().link(link).await?;
            }
            uow.commit().await?;
        }
        Ok(())
    }
}

/// A short tag of the seed (hex), in tenant names, slugs and addresses.
fn seed_tag(seed: u64) -> String {
    format!(
        "{:06x}",
        Rng::stream(seed, &[u64::MAX]).next_u64() & 0xff_ffff
    )
}

/// The same tag as digits, for provider account numbers.
fn seed_tag_digits(seed: u64) -> String {
    format!(
        "{:08}",
        (Rng::stream(seed, &[u64::MAX]).next_u64() & 0xff_ffff) % 100_000_000
    )
}

pub(super) fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

pub(super) fn split_name(full: &str) -> (&str, &str) {
    full.split_once(' ').unwrap_or((full, full))
}

/// `first.last@domain`, with a number when the address is taken.
pub(super) fn unique_email(
    first: &str,
    last: &str,
    domain: &str,
    taken: &mut BTreeSet<String>,
) -> String {
    let local = format!("{}.{}", slugify(first), slugify(last)).replace('-', "");
    let mut email = format!("{local}@{domain}");
    let mut n = 2;
    while taken.contains(&email) {
        email = format!("{local}{n}@{domain}");
        n += 1;
    }
    taken.insert(email.clone());
    email
}

/// A user of the tenant, before it exists: names, address, a password from the seed.
fn person(
    rng: &mut Rng,
    domain: &str,
    taken: &mut BTreeSet<String>,
    role: UserRole,
    status: UserStatus,
) -> Person {
    let (first, last) = (*rng.pick(FIRST_NAMES), *rng.pick(LAST_NAMES));
    let email = unique_email(first, last, domain, taken);
    // Digits and fixed words only: never contains a name or the address.
    let password = format!(
        "Aems#{:06}-{:06}#Seeded",
        rng.below(1_000_000),
        rng.below(1_000_000)
    );
    Person {
        id: UserId::new(),
        email,
        password,
        first,
        last,
        role,
        status,
    }
}

fn new_user(p: &Person) -> Result<NewUser> {
    Ok(NewUser::new(
        text("email", &p.email)?,
        value("password", Password::new(&p.password))?,
        text("first_name", p.first)?,
        text("last_name", p.last)?,
    ))
}

fn client_info(rng: &mut Rng) -> ClientInfo {
    let ip = match rng.below(3) {
        0 => IpAddr::V4(Ipv4Addr::new(198, 51, 100, rng.range(1, 254) as u8)),
        1 => IpAddr::V4(Ipv4Addr::new(203, 0, 113, rng.range(1, 254) as u8)),
        _ => IpAddr::V6(std::net::Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            rng.below(0xffff) as u16,
            0,
            0,
            0,
            rng.range(1, 0xfffe) as u16,
        )),
    };
    ClientInfo::new(ip).with_user_agent(rng.pick(USER_AGENTS))
}

/// A phone number in E.164 for a country (by ISO code).
pub(super) fn phone(rng: &mut Rng, country: &str) -> String {
    let (code, digits) = match country {
        "US" | "CA" => ("1", 10),
        "GB" => ("44", 10),
        "DE" => ("49", 10),
        "FR" => ("33", 9),
        "NL" => ("31", 9),
        "SE" => ("46", 9),
        "AU" => ("61", 9),
        "SG" => ("65", 8),
        "JP" => ("81", 10),
        "BR" => ("55", 11),
        "MX" => ("52", 10),
        _ => ("1", 10),
    };
    let mut number = format!("+{code}{}", rng.range(2, 9));
    for _ in 1..digits {
        number.push(char::from(b'0' + rng.below(10) as u8));
    }
    number
}

pub(super) fn rng_country(rng: &mut Rng) -> &'static str {
    rng.pick(TERRITORIES).1
}
