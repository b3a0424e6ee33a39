//! Authentication: tenants, users, user_sessions, user_mfa, oauth_connections.

use crate::unit_of_work::Executor;

/// The auth repositories, reachable from any executor.
pub trait AuthRepositories: Executor + Sized {}

impl<E: Executor> AuthRepositories for E {}
