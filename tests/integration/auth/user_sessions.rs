//! `auth.user_sessions` through its repository: reads per user, paging,
//! revocation, isolation through the user.

use aems_core::auth::user_sessions::SessionStatus;
use aems_core::{UserId, UserSessionId};
use aems_diesel::Error;
use aems_diesel::auth::{ClientInfo, LoginOutcome, SessionFilter};
use aems_diesel::prelude::*;

use super::{AuthWorld, PASSWORD, new_user};

async fn sessions_of_new_user(w: &AuthWorld, n: usize) -> (UserId, Vec<UserSessionId>) {
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let user = db
        .users()
        .create(new_user("grace@example.com"), w.auth.passwords())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..n {
        match w
            .auth
            .login("grace@example.com", PASSWORD, &ClientInfo::default())
            .await
            .unwrap()
        {
            LoginOutcome::SignedIn(s) => ids.push(s.session_id),
            other => panic!("{other:?}"),
        }
    }
    (user.id, ids)
}

#[tokio::test]
async fn a_users_sessions_page_by_keyset_and_filter_by_status() {
    let w = AuthWorld::new().await;
    let (user, ids) = sessions_of_new_user(&w, 3).await;
    let ctx = aems_diesel::Context::new(aems_core::TenantId::from_uuid(w.t.a.tenant), user);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    uow.user_sessions().revoke(ids[1]).await.unwrap();
    uow.commit().await.unwrap();
    let mut db = w.db.one_shot(&ctx).await.unwrap();
    let first = db
        .user_sessions()
        .list_for_user(user, &SessionFilter::all(), PageRequest::first(2))
        .await
        .unwrap();
    let second = db
        .user_sessions()
        .list_for_user(
            user,
            &SessionFilter::all(),
            PageRequest::after(first.next.unwrap(), 2),
        )
        .await
        .unwrap();
    let seen: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|s| s.id)
        .collect();
    assert_eq!(seen, ids);
    let active: Vec<_> = db
        .user_sessions()
        .list_for_user(
            user,
            &SessionFilter::all().status(SessionStatus::Active),
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(active, vec![ids[0], ids[2]]);
    let session = db.user_sessions().get(ids[0]).await.unwrap();
    assert_eq!(session.user_id, user);
    assert_eq!(session.ip_address, ClientInfo::default().ip);
    assert!(!format!("{session:?}").contains(session.token_hash.expose()));
}

#[tokio::test]
async fn a_user_sees_only_their_own_sessions_an_admin_sees_everyones() {
    let w = AuthWorld::new().await;
    let (user, ids) = sessions_of_new_user(&w, 1).await;
    let admin_id = UserId::from_uuid(w.t.a.user);
    let as_user = aems_diesel::Context::new(aems_core::TenantId::from_uuid(w.t.a.tenant), user);
    let mut db = w.db.one_shot(&as_user).await.unwrap();
    assert!(matches!(
        db.user_sessions()
            .list_for_user(admin_id, &SessionFilter::all(), PageRequest::first(10))
            .await,
        Err(Error::PermissionDenied { .. })
    ));
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    assert_eq!(db.user_sessions().get(ids[0]).await.unwrap().user_id, user);
}

#[tokio::test]
async fn another_tenants_sessions_are_invisible_and_cannot_be_revoked() {
    let w = AuthWorld::new().await;
    let theirs = UserId::from_uuid(w.t.b.user);
    let mut uow = w.db.unit_of_work(&w.t.ctx_a()).await.unwrap();
    let page = uow
        .user_sessions()
        .list_for_user(theirs, &SessionFilter::all(), PageRequest::first(10))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(
        uow.user_sessions()
            .revoke_all_for_user(theirs)
            .await
            .unwrap(),
        0
    );
    uow.commit().await.unwrap();
    // B's seeded session, by id, as A: not found.
    let id: uuid::Uuid = crate::support::admin(&w.t.db)
        .await
        .query_one(
            "SELECT id FROM auth.user_sessions WHERE user_id = $1",
            &[&w.t.b.user],
        )
        .await
        .unwrap()
        .get(0);
    let mut uow = w.db.unit_of_work(&w.t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.user_sessions()
            .revoke(UserSessionId::from_uuid(id))
            .await,
        Err(Error::NotFound { .. })
    ));
    drop(uow);
    let mut b = w.db.one_shot(&w.t.ctx_b()).await.unwrap();
    assert_eq!(
        b.user_sessions()
            .get(UserSessionId::from_uuid(id))
            .await
            .unwrap()
            .status,
        SessionStatus::Active
    );
}

#[tokio::test]
async fn an_admin_purges_ended_sessions_and_never_active_ones() {
    let w = AuthWorld::new().await;
    let (user, ids) = sessions_of_new_user(&w, 2).await;
    let mut uow = w.db.unit_of_work(&w.t.ctx_a()).await.unwrap();
    uow.user_sessions().revoke(ids[0]).await.unwrap();
    let later = chrono::Utc::now() + chrono::TimeDelta::days(1);
    assert_eq!(
        uow.user_sessions().purge_ended_before(later).await.unwrap(),
        1
    );
    uow.commit().await.unwrap();
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let left: Vec<_> = db
        .user_sessions()
        .list_for_user(user, &SessionFilter::all(), PageRequest::first(10))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(left, vec![ids[1]]);
    // A plain user may not purge; B's ended sessions are out of reach anyway.
    let as_user = aems_diesel::Context::new(aems_core::TenantId::from_uuid(w.t.a.tenant), user);
    let mut uow = w.db.unit_of_work(&as_user).await.unwrap();
    assert!(matches!(
        uow.user_sessions().purge_ended_before(later).await,
        Err(Error::PermissionDenied { .. })
    ));
}
