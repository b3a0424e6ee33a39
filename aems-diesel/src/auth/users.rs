//! `auth.users`: the people of a tenant. Administered by the tenant's admins;
//! soft-deleted users are hidden from normal reads and cannot sign in.
//!
//! E-mail addresses are stored in lower case (ASCII; the spec's pattern admits
//! nothing else), so sign-in does not depend on how an address was typed and
//! two accounts can never differ by case only. The password hash never leaves
//! through `Debug` ([`PasswordHash`] redacts itself) nor serialization.

use aems_core::auth::users::{NewUser, User, UserPatch, UserRole, UserStatus};
use aems_core::{DomainError, Email, ErrorCode, Input, Password, PasswordHash, TenantId, UserId};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::auth::access;
use crate::auth::events::{self, AuthEvent};
use crate::auth::passwords::Passwords;
use crate::error::{Error, Result};
use crate::repository::{self, Page, PageRequest, decode, decode_opt, keyset};
use crate::schema::auth::{user_sessions, users};
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "users";

/// Longest search text accepted.
pub const MAX_SEARCH_CHARS: usize = 100;

/// A row of `auth.users` as stored.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(Pg))]
pub(crate) struct UserRow {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    username: Option<String>,
    password_hash: String,
    first_name: String,
    last_name: String,
    role: String,
    status: String,
    email_verified: bool,
    last_login: Option<DateTime<Utc>>,
    failed_login_attempts: i32,
    locked_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

impl UserRow {
    pub(crate) fn into_entity(self) -> Result<User> {
        Ok(User {
            id: UserId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            email: decode(ENTITY, "email", &self.email)?,
            username: decode_opt(ENTITY, "username", self.username.as_deref())?,
            // The reason never includes the value: it is a hash.
            password_hash: PasswordHash::new(&self.password_hash).map_err(|e| Error::Decode {
                entity: ENTITY,
                column: "password_hash",
                reason: e.to_string(),
            })?,
            first_name: decode(ENTITY, "first_name", &self.first_name)?,
            last_name: decode(ENTITY, "last_name", &self.last_name)?,
            role: decode(ENTITY, "role", &self.role)?,
            status: decode(ENTITY, "status", &self.status)?,
            email_verified: self.email_verified,
            last_login: self.last_login,
            failed_login_attempts: self.failed_login_attempts,
            locked_until: self.locked_until,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        })
    }
}

fn entities(rows: Vec<UserRow>) -> Result<Vec<User>> {
    rows.into_iter().map(UserRow::into_entity).collect()
}

/// The address as stored: ASCII lower case.
pub(crate) fn normalize_email(email: &Email) -> Result<Email> {
    Ok(Email::new(&email.as_str().to_ascii_lowercase())
        .map_err(|e| DomainError::from_value("email", e))?)
}

/// A new row, as inserted.
#[derive(Insertable)]
#[diesel(table_name = users, check_for_backend(Pg), treat_none_as_default_value = false)]
struct NewUserRow {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    username: Option<String>,
    password_hash: String,
    first_name: String,
    last_name: String,
    role: &'static str,
    status: &'static str,
    email_verified: bool,
}

/// Every profile column an update may change, from the checked, patched user.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = users, check_for_backend(Pg), treat_none_as_null = true)]
struct UserChangeset {
    email: String,
    username: Option<String>,
    first_name: String,
    last_name: String,
    role: &'static str,
    status: &'static str,
    email_verified: bool,
}

impl UserChangeset {
    fn from_entity(u: &User) -> Self {
        Self {
            email: u.email.to_string(),
            username: u.username.as_ref().map(|n| n.to_string()),
            first_name: u.first_name.to_string(),
            last_name: u.last_name.to_string(),
            role: u.role.as_str(),
            status: u.status.as_str(),
            email_verified: u.email_verified,
        }
    }
}

/// What to list: every condition given must hold. Soft-deleted users are
/// never listed (see [`Users::list_deleted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<UserRole>,
    /// Only this status.
    pub status: Option<UserStatus>,
    /// Case-insensitive substring of the e-mail, first or last name (`%`
    /// and `_` are matched literally).
    pub search: Option<String>,
}

impl UserFilter {
    /// Every live user of the tenant.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `role`.
    pub fn role(mut self, role: UserRole) -> Self {
        self.role = Some(role);
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: UserStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// E-mails or names containing `text`.
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }
}

/// `text` as a LIKE pattern matching it anywhere, its wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The users of the context's tenant: `uow.users()`.
///
/// Reads are open to every user of the tenant. Creating, deleting, restoring
/// and purging users, and changing someone else's role, status or address,
/// are for the tenant's active admins ([`Error::PermissionDenied`] otherwise);
/// a user may change their own names and username.
#[derive(Debug)]
pub struct Users<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> Users<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The live (not soft-deleted) user `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: UserId) -> Result<User> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The live user `id`, if there is one.
    pub async fn find(&mut self, id: UserId) -> Result<Option<User>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                users::table
                    .find(id.into_uuid())
                    .filter(users::deleted_at.is_null())
                    .select(UserRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(UserRow::into_entity).transpose()
    }

    /// The live user with this address (compared in lower case), if any.
    pub async fn find_by_email(&mut self, email: &Email) -> Result<Option<User>> {
        let email = normalize_email(email)?.into_string();
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                users::table
                    .filter(users::email.eq(email))
                    .filter(users::deleted_at.is_null())
                    .select(UserRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(UserRow::into_entity).transpose()
    }

    /// One page of the live users matching `filter`.
    pub async fn list(&mut self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>> {
        let search = filter
            .search
            .as_deref()
            .map(|q| repository::filter_text("search", q, MAX_SEARCH_CHARS))
            .transpose()?
            .map(|q| contains_pattern(&q));
        let (role, status) = (filter.role, filter.status);
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = users::table
                    .filter(users::deleted_at.is_null())
                    .select(UserRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(role) = role {
                    query = query.filter(users::role.eq(role.as_str()));
                }
                if let Some(status) = status {
                    query = query.filter(users::status.eq(status.as_str()));
                }
                if let Some(pattern) = search {
                    query = query.filter(
                        users::email
                            .ilike(pattern.clone())
                            .or(users::first_name.ilike(pattern.clone()))
                            .or(users::last_name.ilike(pattern)),
                    );
                }
                keyset!(query, users::tenant_id, users::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |u| u.id.into_uuid()))
    }

    /// One page of the soft-deleted users.
    pub async fn list_deleted(&mut self, page: PageRequest) -> Result<Page<User>> {
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let query = users::table
                    .filter(users::deleted_at.is_not_null())
                    .select(UserRow::as_select())
                    .into_boxed::<Pg>();
                keyset!(query, users::tenant_id, users::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |u| u.id.into_uuid()))
    }

    /// Creates a user of the context's tenant (admins only). The input and
    /// the password policy are checked first and nothing is sent when they
    /// fail; the password is hashed with argon2id. An address or username
    /// still held by a soft-deleted user of the tenant is
    /// [`Error::CollidesWithDeleted`]; an address held by anyone else
    /// (addresses are unique across tenants) or a username held by another
    /// user of the tenant (`uq_users_tenant_id_username`: usernames are unique
    /// per tenant only) is [`Error::UniqueViolation`].
    pub async fn create(&mut self, new: NewUser, passwords: &Passwords) -> Result<User> {
        new.check()?;
        let email = normalize_email(&new.email)?;
        passwords.policy().check(
            &new.password,
            email.as_str(),
            &[new.first_name.as_str(), new.last_name.as_str()],
        )?;
        access::require_admin(self.exec).await?;
        self.insert(UserId::new(), new, email, passwords).await
    }

    /// Inserts without the admin check: signup's first admin.
    pub(crate) async fn insert(
        &mut self,
        id: UserId,
        new: NewUser,
        email: Email,
        passwords: &Passwords,
    ) -> Result<User> {
        let username = new.username.as_ref().map(|u| u.to_string());
        self.refuse_collisions_with_deleted(None, email.as_str(), username.as_deref())
            .await?;
        let hash = passwords
            .hash_checked(
                &new.password,
                email.as_str(),
                &[new.first_name.as_str(), new.last_name.as_str()],
            )
            .await?;
        let ctx = self.exec.context();
        let row = NewUserRow {
            id: id.into_uuid(),
            tenant_id: ctx.tenant_id().into_uuid(),
            email: email.into_string(),
            username,
            password_hash: hash.expose().to_owned(),
            first_name: new.first_name.into_string(),
            last_name: new.last_name.into_string(),
            role: new.role.as_str(),
            status: new.status.as_str(),
            email_verified: new.email_verified,
        };
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(users::table)
                    .values(row)
                    .returning(UserRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// [`Error::CollidesWithDeleted`] when a soft-deleted user of the tenant
    /// (other than `except`) holds `email` or `username`.
    async fn refuse_collisions_with_deleted(
        &mut self,
        except: Option<UserId>,
        email: &str,
        username: Option<&str>,
    ) -> Result<()> {
        let (email, username) = (email.to_owned(), username.map(str::to_owned));
        let except = except.map(|u| u.into_uuid()).unwrap_or(Uuid::nil());
        let wanted_email = email.clone();
        let held = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = users::table
                    .filter(users::deleted_at.is_not_null())
                    .filter(users::id.ne(except))
                    .select(users::email)
                    .into_boxed::<Pg>();
                query = match username {
                    Some(name) => query.filter(users::email.eq(email).or(users::username.eq(name))),
                    None => query.filter(users::email.eq(email)),
                };
                query.limit(2).load::<String>(&mut { conn }).boxed()
            })
            .await?;
        if held.is_empty() {
            return Ok(());
        }
        let constraint = if held.contains(&wanted_email) {
            "uq_users_email"
        } else {
            "uq_users_tenant_id_username"
        };
        Err(Error::CollidesWithDeleted {
            entity: ENTITY,
            constraint: constraint.to_owned(),
        })
    }

    /// Applies `patch` to user `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    ///
    /// An admin may change anything but their own role and status (so a
    /// tenant never loses its admin by accident); any user may change their
    /// own names and username.
    pub async fn update(
        &mut self,
        id: UserId,
        expected_updated_at: DateTime<Utc>,
        patch: &UserPatch,
    ) -> Result<User> {
        patch.check()?;
        let is_self = self.exec.context().actor() == id;
        let privileged = patch.role.is_some()
            || patch.status.is_some()
            || patch.email.is_some()
            || patch.email_verified.is_some();
        if is_self && (patch.role.is_some() || patch.status.is_some()) {
            return Err(Error::Validation(DomainError::field(
                if patch.role.is_some() {
                    "role"
                } else {
                    "status"
                },
                ErrorCode::NotAllowed,
                "nobody may change their own role or status",
            )));
        }
        if !is_self || privileged {
            access::require_admin(self.exec).await?;
        }
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let mut next = current.patched(patch)?;
        next.email = normalize_email(&next.email)?;
        if next.email != current.email || next.username != current.username {
            let username = next.username.as_ref().map(|u| u.to_string());
            self.refuse_collisions_with_deleted(Some(id), next.email.as_str(), username.as_deref())
                .await?;
        }
        let changes = UserChangeset::from_entity(&next);
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        users::table
                            .find(id.into_uuid())
                            .filter(users::updated_at.eq(expected_updated_at))
                            .filter(users::deleted_at.is_null()),
                    )
                    .set(changes)
                    .returning(UserRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        updated
            .ok_or(Error::Conflict { entity: ENTITY })?
            .into_entity()
    }

    /// Soft-deletes user `id` (admins only; not oneself): hidden from every
    /// read, unable to sign in, restorable until purged. Their sessions stop
    /// working at once (authentication checks the user).
    pub async fn soft_delete(&mut self, id: UserId) -> Result<User> {
        if self.exec.context().actor() == id {
            return Err(Error::Validation(DomainError::field(
                "id",
                ErrorCode::NotAllowed,
                "nobody may delete their own account this way",
            )));
        }
        access::require_admin(self.exec).await?;
        self.set_deleted(id, true).await
    }

    /// Restores the soft-deleted user `id` (admins only).
    pub async fn restore(&mut self, id: UserId) -> Result<User> {
        access::require_admin(self.exec).await?;
        self.set_deleted(id, false).await
    }

    async fn set_deleted(&mut self, id: UserId, deleted: bool) -> Result<User> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                let target = users::table.find(id.into_uuid());
                let statement = if deleted {
                    sql::Cached(
                        diesel::update(target.filter(users::deleted_at.is_null()))
                            .set(users::deleted_at.eq(diesel::dsl::now))
                            .returning(UserRow::as_returning()),
                    )
                    .get_result(&mut { conn })
                    .boxed()
                } else {
                    sql::Cached(
                        diesel::update(target.filter(users::deleted_at.is_not_null()))
                            .set(users::deleted_at.eq(None::<DateTime<Utc>>))
                            .returning(UserRow::as_returning()),
                    )
                    .get_result(&mut { conn })
                    .boxed()
                };
                statement.map(|r| r.optional()).boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })?.into_entity()
    }

    /// Clears user `id`'s failed sign-ins and lock (admins only).
    pub async fn unlock(&mut self, id: UserId) -> Result<User> {
        access::require_admin(self.exec).await?;
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        users::table
                            .find(id.into_uuid())
                            .filter(users::deleted_at.is_null()),
                    )
                    .set((
                        users::failed_login_attempts.eq(0),
                        users::locked_until.eq(None::<DateTime<Utc>>),
                    ))
                    .returning(UserRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })?.into_entity()
    }
}

impl<'e, E: Transactional> Users<'e, E> {
    /// Changes user `id`'s password and revokes their other active sessions
    /// (all of them when an admin resets someone else's). A user changing
    /// their own must give the current one (a wrong one is
    /// [`Error::PermissionDenied`], nothing changes); an admin resetting
    /// someone else's need not. The new password is checked against the
    /// policy first. Returns how many sessions were revoked.
    pub async fn change_password(
        &mut self,
        id: UserId,
        current_password: Option<&str>,
        new_password: &Password,
        passwords: &Passwords,
    ) -> Result<usize> {
        let user = self.get(id).await?;
        passwords.policy().check(
            new_password,
            user.email.as_str(),
            &[user.first_name.as_str(), user.last_name.as_str()],
        )?;
        let ctx = self.exec.context().clone();
        if ctx.actor() == id {
            let given = current_password.unwrap_or_default();
            if !passwords
                .verify(given, &user.password_hash)
                .await?
                .is_match()
            {
                events::record(
                    self.exec,
                    AuthEvent::new(
                        "password_change_refused",
                        ENTITY,
                        Some(id.into_uuid()),
                        aems_core::risk::audit_logs::AuditSeverity::Warning,
                    )
                    .with("reason", "wrong current password"),
                )
                .await?;
                return Err(Error::PermissionDenied {
                    message: "the current password is wrong".into(),
                });
            }
        } else {
            access::require_admin(self.exec).await?;
        }
        let hash = passwords
            .hash_checked(
                new_password,
                user.email.as_str(),
                &[user.first_name.as_str(), user.last_name.as_str()],
            )
            .await?
            .expose()
            .to_owned();
        self.exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(users::table.find(id.into_uuid()))
                        .set(users::password_hash.eq(hash)),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        let keep = ctx
            .session_id()
            .filter(|_| ctx.actor() == id)
            .map(|s| s.into_uuid())
            .unwrap_or(Uuid::nil());
        let revoked = self
            .exec
            .run("user_sessions", move |conn| {
                sql::Cached(
                    diesel::update(
                        user_sessions::table
                            .filter(user_sessions::user_id.eq(id.into_uuid()))
                            .filter(user_sessions::status.eq("active"))
                            .filter(user_sessions::id.ne(keep)),
                    )
                    .set(user_sessions::status.eq("revoked")),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        events::record(
            self.exec,
            AuthEvent::new(
                "password_changed",
                ENTITY,
                Some(id.into_uuid()),
                aems_core::risk::audit_logs::AuditSeverity::Info,
            )
            .with("sessions_revoked", revoked),
        )
        .await?;
        Ok(revoked)
    }

    /// Hard-deletes the users soft-deleted before `cutoff` (admins only).
    /// Their sessions, factors and connections go with them; a user still
    /// named as the author of business rows is refused with
    /// [`Error::ForeignKeyViolation`] and nothing is purged.
    pub async fn purge_deleted_before(&mut self, cutoff: DateTime<Utc>) -> Result<usize> {
        access::require_admin(self.exec).await?;
        self.exec
            .run(ENTITY, move |conn| {
                diesel::delete(users::table.filter(users::deleted_at.lt(cutoff)))
                    .execute(&mut { conn })
                    .boxed()
            })
            .await
    }
}
