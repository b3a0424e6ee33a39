//! Who may administer what inside a tenant: user administration is for the
//! tenant's active admins; a user manages their own sessions, factors and
//! connections. Refusals are [`Error::PermissionDenied`].

use aems_core::UserId;
use aems_core::auth::users::{UserRole, UserStatus};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;

use crate::error::{Error, Result};
use crate::schema::auth::users;
use crate::unit_of_work::Executor;

fn denied(message: &str) -> Error {
    Error::PermissionDenied {
        message: message.to_owned(),
    }
}

/// Whether the context's actor is an active, live admin of its tenant.
pub(crate) async fn actor_is_admin<E: Executor>(exec: &mut E) -> Result<bool> {
    let actor = exec.context().actor().into_uuid();
    let found = exec
        .run("users", move |conn| {
            users::table
                .find(actor)
                .filter(users::deleted_at.is_null())
                .select((users::role, users::status))
                .first::<(String, String)>(&mut { conn })
                .map(|r| r.optional())
                .boxed()
        })
        .await?;
    Ok(found.is_some_and(|(role, status)| {
        role == UserRole::Admin.as_str() && status == UserStatus::Active.as_str()
    }))
}

/// Refuses unless the actor is an active admin of the tenant.
pub(crate) async fn require_admin<E: Executor>(exec: &mut E) -> Result<()> {
    if actor_is_admin(exec).await? {
        Ok(())
    } else {
        Err(denied("only an active admin of the tenant may do this"))
    }
}

/// Refuses unless the actor is `user` or an active admin of the tenant.
pub(crate) async fn require_self_or_admin<E: Executor>(exec: &mut E, user: UserId) -> Result<()> {
    if exec.context().actor() == user || actor_is_admin(exec).await? {
        Ok(())
    } else {
        Err(denied(
            "only the user or an admin of the tenant may do this",
        ))
    }
}

/// Refuses unless the actor is `user`.
pub(crate) fn require_self<E: Executor>(exec: &E, user: UserId) -> Result<()> {
    if exec.context().actor() == user {
        Ok(())
    } else {
        Err(denied("only the user may do this for their own account"))
    }
}
