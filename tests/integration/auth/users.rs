//! `auth.users` through its repository: CRUD by admins, filters, paging,
//! soft delete with collisions, optimistic concurrency, isolation.

use aems_core::auth::users::{User, UserPatch, UserRole, UserStatus};
use aems_core::{ErrorCode, UserId};
use aems_diesel::Error;
use aems_diesel::auth::UserFilter;
use aems_diesel::prelude::*;

use super::{AuthWorld, new_user};

fn ids(page: Page<User>) -> Vec<UserId> {
    page.items.into_iter().map(|u| u.id).collect()
}

#[tokio::test]
async fn an_admin_creates_a_user_who_reads_back_whole_without_the_hash_in_debug() {
    let w = AuthWorld::new().await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let mut input = new_user("Grace@Example.com");
    input.username = Some("grace".parse().unwrap());
    input.role = UserRole::Manager;
    let created = db.users().create(input, w.auth.passwords()).await.unwrap();
    assert_eq!(created.email.as_str(), "grace@example.com");
    assert_eq!(created.tenant_id.into_uuid(), w.t.a.tenant);
    assert_eq!(created.role, UserRole::Manager);
    assert_eq!(db.users().get(created.id).await.unwrap(), created);
    let shown = format!("{created:?}");
    assert!(!shown.contains(created.password_hash.expose()));
    assert!(!shown.contains("argon2"));
    assert_eq!(
        db.users()
            .find_by_email(&"GRACE@example.com".parse().unwrap())
            .await
            .unwrap()
            .map(|u| u.id),
        Some(created.id)
    );
}

#[tokio::test]
async fn bad_input_lists_every_failing_field_and_writes_nothing() {
    let w = AuthWorld::new().await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let mut input = new_user("grace@example.com");
    input.password = aems_core::Password::new("grace-hopper-grace").unwrap();
    let before = w.t.count("auth.users").await;
    match db.users().create(input, w.auth.passwords()).await {
        Err(Error::Validation(e)) => assert!(e.has("password", ErrorCode::NotAllowed), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.t.count("auth.users").await, before);
}

#[tokio::test]
async fn only_admins_administer_users() {
    let w = AuthWorld::new().await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let viewer = db
        .users()
        .create(
            {
                let mut u = new_user("viewer@example.com");
                u.role = UserRole::Viewer;
                u
            },
            w.auth.passwords(),
        )
        .await
        .unwrap();
    let as_viewer = aems_diesel::Context::new(viewer.tenant_id, viewer.id);
    let mut db = w.db.one_shot(&as_viewer).await.unwrap();
    assert!(matches!(
        db.users()
            .create(new_user("sneaky@example.com"), w.auth.passwords())
            .await,
        Err(Error::PermissionDenied { .. })
    ));
    let admin_id = UserId::from_uuid(w.t.a.user);
    assert!(matches!(
        db.users().soft_delete(admin_id).await,
        Err(Error::PermissionDenied { .. })
    ));
    // A user may change their own name, but not their own role.
    let patch = UserPatch {
        first_name: Some("Vera".parse().unwrap()),
        ..UserPatch::default()
    };
    let renamed = db
        .users()
        .update(viewer.id, viewer.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(renamed.first_name.as_str(), "Vera");
    let promote = UserPatch {
        role: Some(UserRole::Admin),
        ..UserPatch::default()
    };
    match db
        .users()
        .update(viewer.id, renamed.updated_at, &promote)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("role", ErrorCode::NotAllowed)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn filters_by_role_status_and_search_and_pages_by_keyset() {
    let w = AuthWorld::new().await;
    let mut uow = w.db.unit_of_work(&w.t.ctx_a()).await.unwrap();
    let mut made = Vec::new();
    for (i, (role, status)) in [
        (UserRole::Manager, UserStatus::Active),
        (UserRole::Viewer, UserStatus::Suspended),
        (UserRole::Viewer, UserStatus::Active),
    ]
    .into_iter()
    .enumerate()
    {
        let mut input = new_user(&format!("search_{i}.person@example.com"));
        input.role = role;
        input.status = status;
        made.push(
            uow.users()
                .create(input, w.auth.passwords())
                .await
                .unwrap()
                .id,
        );
    }
    uow.commit().await.unwrap();
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    assert_eq!(
        ids(db
            .users()
            .list(&UserFilter::all().role(UserRole::Viewer), all)
            .await
            .unwrap()),
        vec![made[1], made[2]]
    );
    assert_eq!(
        ids(db
            .users()
            .list(&UserFilter::all().status(UserStatus::Suspended), all)
            .await
            .unwrap()),
        vec![made[1]]
    );
    // `_` is literal: "search_1" matches one address, not "searchX1".
    assert_eq!(
        ids(db
            .users()
            .list(&UserFilter::all().search("SEARCH_1"), all)
            .await
            .unwrap()),
        vec![made[1]]
    );
    assert_eq!(
        ids(db
            .users()
            .list(&UserFilter::all().search("%"), all)
            .await
            .unwrap()),
        Vec::<UserId>::new()
    );
    // Keyset paging: the seeded admin plus three, two per page.
    let first = db
        .users()
        .list(&UserFilter::all(), PageRequest::first(2))
        .await
        .unwrap();
    let second = db
        .users()
        .list(
            &UserFilter::all(),
            PageRequest::after(first.next.unwrap(), 2),
        )
        .await
        .unwrap();
    assert!(second.next.is_none());
    let mut seen = ids(first);
    seen.extend(ids(second));
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[1..], made[..]);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let w = AuthWorld::new().await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let user = db
        .users()
        .create(new_user("grace@example.com"), w.auth.passwords())
        .await
        .unwrap();
    let patch = UserPatch {
        status: Some(UserStatus::Suspended),
        ..UserPatch::default()
    };
    let updated = db
        .users()
        .update(user.id, user.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.status, UserStatus::Suspended);
    let stale = UserPatch {
        role: Some(UserRole::Admin),
        ..UserPatch::default()
    };
    assert!(matches!(
        db.users().update(user.id, user.updated_at, &stale).await,
        Err(Error::Conflict { entity: "users" })
    ));
    assert_eq!(db.users().get(user.id).await.unwrap(), updated);
}

#[tokio::test]
async fn soft_delete_restore_collisions_and_purge() {
    let w = AuthWorld::new().await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let mut input = new_user("grace@example.com");
    input.username = Some("grace".parse().unwrap());
    let user = db.users().create(input, w.auth.passwords()).await.unwrap();
    db.users().soft_delete(user.id).await.unwrap();
    assert!(matches!(
        db.users().get(user.id).await,
        Err(Error::NotFound { entity: "users" })
    ));
    assert!(
        !ids(db
            .users()
            .list(&UserFilter::all(), PageRequest::first(100))
            .await
            .unwrap())
        .contains(&user.id)
    );
    assert_eq!(
        ids(db
            .users()
            .list_deleted(PageRequest::first(10))
            .await
            .unwrap()),
        vec![user.id]
    );
    // Its address and its username are still held.
    match db
        .users()
        .create(new_user("GRACE@example.com"), w.auth.passwords())
        .await
    {
        Err(Error::CollidesWithDeleted { entity, constraint }) => {
            assert_eq!((entity, constraint.as_str()), ("users", "uq_users_email"))
        }
        other => panic!("{other:?}"),
    }
    let mut same_name = new_user("other@example.com");
    same_name.username = Some("grace".parse().unwrap());
    match db.users().create(same_name, w.auth.passwords()).await {
        Err(Error::CollidesWithDeleted { constraint, .. }) => {
            assert_eq!(constraint, "uq_users_tenant_id_username")
        }
        other => panic!("{other:?}"),
    }
    // Nobody deletes themselves this way.
    assert!(matches!(
        db.users().soft_delete(UserId::from_uuid(w.t.a.user)).await,
        Err(Error::Validation(_))
    ));
    let restored = db.users().restore(user.id).await.unwrap();
    assert_eq!(restored.deleted_at, None);
    assert!(matches!(
        db.users().restore(user.id).await,
        Err(Error::NotFound { .. })
    ));

    db.users().soft_delete(user.id).await.unwrap();
    drop(db);
    let mut uow = w.db.unit_of_work(&w.t.ctx_a()).await.unwrap();
    let purged = uow
        .users()
        .purge_deleted_before(chrono::Utc::now() + chrono::TimeDelta::seconds(1))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(purged, 1);
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    assert!(
        db.users()
            .list_deleted(PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // The address is free again.
    db.users()
        .create(new_user("grace@example.com"), w.auth.passwords())
        .await
        .unwrap();
}

#[tokio::test]
async fn another_tenants_users_are_not_found_listed_updated_or_deleted() {
    let w = AuthWorld::new().await;
    let theirs = UserId::from_uuid(w.t.b.user);
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    assert!(matches!(
        db.users().get(theirs).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        db.users()
            .find_by_email(&"admin@b.example.com".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let listed = db
        .users()
        .list(&UserFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        listed
            .items
            .iter()
            .all(|u| u.tenant_id.into_uuid() == w.t.a.tenant)
    );
    let patch = UserPatch {
        status: Some(UserStatus::Suspended),
        ..UserPatch::default()
    };
    assert!(matches!(
        db.users().update(theirs, chrono::Utc::now(), &patch).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        db.users().soft_delete(theirs).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        db.users().unlock(theirs).await,
        Err(Error::NotFound { .. })
    ));
    // And B's address cannot be taken by A (addresses are unique across tenants).
    assert!(matches!(
        db.users()
            .create(new_user("admin@b.example.com"), w.auth.passwords())
            .await,
        Err(Error::UniqueViolation { .. })
    ));
}

#[tokio::test]
async fn a_username_is_unique_in_its_tenant_and_says_nothing_about_other_tenants() {
    // With usernames unique across all tenants, an admin of A learned from a
    // refused create whether a username existed in any other tenant.
    let w = AuthWorld::new().await;
    let named = |email: &str, name: &str| {
        let mut input = new_user(email);
        input.username = Some(name.parse().unwrap());
        input
    };
    let mut a = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    a.users()
        .create(named("ceo@a.example.com", "ceo"), w.auth.passwords())
        .await
        .unwrap();
    let mut b = w.db.one_shot(&w.t.ctx_b()).await.unwrap();
    let theirs = b
        .users()
        .create(named("ceo@b.example.com", "ceo"), w.auth.passwords())
        .await
        .expect("another tenant's username is no obstacle, and no answer");
    assert_eq!(
        theirs.username.map(|n| n.to_string()).as_deref(),
        Some("ceo")
    );
    match a
        .users()
        .create(named("ceo2@a.example.com", "ceo"), w.auth.passwords())
        .await
    {
        Err(Error::UniqueViolation { constraint, .. }) => {
            assert_eq!(constraint, "uq_users_tenant_id_username")
        }
        other => panic!("a username twice in one tenant: {other:?}"),
    }
}

#[tokio::test]
async fn a_deleted_user_is_stamped_with_the_servers_clock_like_a_deleted_customer() {
    let w = AuthWorld::new().await;
    let mut uow = w.db.unit_of_work(&w.t.ctx_a()).await.unwrap();
    let user = uow
        .users()
        .create(new_user("grace@example.com"), w.auth.passwords())
        .await
        .unwrap();
    let customer = uow
        .customers()
        .create(aems_core::sales::customers::NewCustomer::new(
            "Analytical Engines".parse().unwrap(),
            "buyer@engines.example.com".parse().unwrap(),
            aems_core::sales::customers::CustomerSegment::Smb,
            chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        ))
        .await
        .unwrap();
    let customer = uow.customers().soft_delete(customer.id).await.unwrap();
    let user = uow.users().soft_delete(user.id).await.unwrap();
    uow.commit().await.unwrap();
    // One transaction, one now(): a row stamped by the server's clock carries
    // the transaction's start, whatever the client's clock says.
    assert!(customer.deleted_at.is_some());
    assert_eq!(user.deleted_at, customer.deleted_at);
}
