//! `auth.tenants`: a tenant's own row, and the platform's view of all.

use aems_core::auth::tenants::{SubscriptionPlan, TenantPatch, TenantStatus};
use aems_core::{ErrorCode, TenantId};
use aems_diesel::Error;
use aems_diesel::auth::TenantFilter;
use aems_diesel::prelude::*;

use crate::support::TwoTenants;

#[tokio::test]
async fn a_tenant_reads_and_updates_its_own_row_with_optimistic_concurrency() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mine = db.tenants().current().await.unwrap();
    assert_eq!(mine.id.into_uuid(), t.a.tenant);
    let mut settings = aems_core::JsonObject::new();
    settings.insert("timezone".into(), "Europe/Berlin".into());
    let patch = TenantPatch {
        settings: Some(settings.clone()),
        subscription_plan: Some(SubscriptionPlan::Professional),
        ..TenantPatch::default()
    };
    let updated = db.tenants().update(mine.updated_at, &patch).await.unwrap();
    assert_eq!(updated.settings, settings);
    assert_eq!(updated.subscription_plan, SubscriptionPlan::Professional);
    // The stale timestamp: Conflict, nothing changes.
    let again = TenantPatch {
        subscription_plan: Some(SubscriptionPlan::Basic),
        ..TenantPatch::default()
    };
    assert!(matches!(
        db.tenants().update(mine.updated_at, &again).await,
        Err(Error::Conflict { entity: "tenants" })
    ));
    assert_eq!(db.tenants().current().await.unwrap(), updated);
}

#[tokio::test]
async fn a_tenant_cannot_set_its_own_status_nor_see_another_tenant() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mine = db.tenants().current().await.unwrap();
    let patch = TenantPatch {
        status: Some(TenantStatus::Active),
        ..TenantPatch::default()
    };
    match db.tenants().update(mine.updated_at, &patch).await {
        Err(Error::Validation(e)) => assert!(e.has("status", ErrorCode::NotAllowed)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        db.tenants()
            .find(TenantId::from_uuid(t.b.tenant))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn only_an_admin_changes_the_tenant() {
    let w = super::AuthWorld::new().await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let mut input = super::new_user("viewer@example.com");
    input.role = aems_core::auth::users::UserRole::Viewer;
    let viewer = db.users().create(input, w.auth.passwords()).await.unwrap();
    let mine = db.tenants().current().await.unwrap();
    let as_viewer = aems_diesel::Context::new(mine.id, viewer.id);
    let mut db = w.db.one_shot(&as_viewer).await.unwrap();
    let patch = TenantPatch {
        subscription_plan: Some(SubscriptionPlan::Basic),
        ..TenantPatch::default()
    };
    assert!(matches!(
        db.tenants().update(mine.updated_at, &patch).await,
        Err(Error::PermissionDenied { .. })
    ));
    assert_eq!(db.tenants().current().await.unwrap(), mine);
}

#[tokio::test]
async fn the_platform_pages_through_every_tenant_and_sets_their_status() {
    let t = TwoTenants::new().await;
    let mut platform = t
        .database
        .platform("tenant administration", None)
        .await
        .unwrap();
    let first = platform
        .list_tenants(&TenantFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 1);
    let second = platform
        .list_tenants(
            &TenantFilter::all(),
            PageRequest::after(first.next.unwrap(), 1),
        )
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next.is_none());
    let mut ids = vec![
        first.items[0].id.into_uuid(),
        second.items[0].id.into_uuid(),
    ];
    ids.sort();
    let mut seeded = vec![t.a.tenant, t.b.tenant];
    seeded.sort();
    assert_eq!(ids, seeded);

    let b = TenantId::from_uuid(t.b.tenant);
    let suspended = platform
        .set_tenant_status(b, TenantStatus::Suspended)
        .await
        .unwrap();
    assert_eq!(suspended.status, TenantStatus::Suspended);
    let only = platform
        .list_tenants(
            &TenantFilter::all().status(TenantStatus::Suspended),
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(only.items.len(), 1);
    assert_eq!(only.items[0].id, b);
    assert!(matches!(
        platform
            .set_tenant_status(TenantId::new(), TenantStatus::Active)
            .await,
        Err(Error::NotFound { .. })
    ));
    platform.commit().await.unwrap();
}
