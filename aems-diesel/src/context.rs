//! Who acts, for which tenant, from where: what every unit of work carries.

use std::net::IpAddr;

use aems_core::{TenantId, UserId, UserSessionId};

/// Longest user agent kept; longer ones are cut (on a character boundary).
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// The context of a unit of work.
///
/// The tenant scopes every row the work can see or write (enforced by the
/// database's row-level security); the actor is recorded as `created_by` /
/// `updated_by` and in the audit trail, with the optional IP, user agent and
/// session.
///
/// ```
/// use aems_core::{TenantId, UserId};
/// use aems_diesel::Context;
///
/// let ctx = Context::new(TenantId::new(), UserId::new())
///     .with_ip("203.0.113.7".parse().unwrap())
///     .with_user_agent("curl/8.5");
/// assert_eq!(ctx.user_agent(), Some("curl/8.5"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    tenant_id: TenantId,
    actor: UserId,
    ip: Option<IpAddr>,
    user_agent: Option<String>,
    session_id: Option<UserSessionId>,
}

impl Context {
    /// A context for `actor` working in `tenant_id`.
    pub fn new(tenant_id: TenantId, actor: UserId) -> Self {
        Self {
            tenant_id,
            actor,
            ip: None,
            user_agent: None,
            session_id: None,
        }
    }

    /// Records the client's address.
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Records the client's user agent. NUL characters (which PostgreSQL text
    /// cannot hold) are removed and the text is cut to
    /// [`MAX_USER_AGENT_CHARS`] characters: a hostile header cannot make the
    /// work fail.
    pub fn with_user_agent(mut self, user_agent: impl AsRef<str>) -> Self {
        let cleaned: String = user_agent
            .as_ref()
            .chars()
            .filter(|c| *c != '\0')
            .take(MAX_USER_AGENT_CHARS)
            .collect();
        self.user_agent = (!cleaned.is_empty()).then_some(cleaned);
        self
    }

    /// Records the session the request came through.
    pub fn with_session(mut self, session_id: UserSessionId) -> Self {
        self.session_id = Some(session_id);
        self
    }

    /// The tenant.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// The acting user.
    pub fn actor(&self) -> UserId {
        self.actor
    }

    /// The client's address, if known.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The client's user agent, if known.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// The session, if known.
    pub fn session_id(&self) -> Option<UserSessionId> {
        self.session_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_user_agent_is_cleaned_not_refused() {
        let long = "é".repeat(MAX_USER_AGENT_CHARS + 10);
        let ctx =
            Context::new(TenantId::new(), UserId::new()).with_user_agent(format!("a\0b{long}"));
        let ua = ctx.user_agent().unwrap();
        assert!(!ua.contains('\0'));
        assert!(ua.starts_with("ab"));
        assert_eq!(ua.chars().count(), MAX_USER_AGENT_CHARS);
    }

    #[test]
    fn an_empty_user_agent_is_none() {
        let ctx = Context::new(TenantId::new(), UserId::new()).with_user_agent("\0");
        assert_eq!(ctx.user_agent(), None);
    }
}
