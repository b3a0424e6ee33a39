//! The `auth` schema: tenants, users, sessions, MFA factors and OAuth connections.

pub mod oauth_connections;
pub mod tenants;
pub mod user_mfa;
pub mod user_sessions;
pub mod users;
