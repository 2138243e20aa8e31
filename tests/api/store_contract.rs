//! The data layer's contract, run unchanged against SQLite and PostgreSQL.

use std::sync::LazyLock;
use std::time::Duration;

use junggye::domain::member::{MemberName, PhoneNumber};
use junggye::members::Grade;
use junggye::members::store::{self, JoinError, NewMember, WithdrawOutcome};
use junggye::products::catalog::Catalog;

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    a_member_is_stored_and_found_by_user_key,
    ids_come_from_the_database_and_increase,
    names_and_user_keys_are_unique_among_active_members_only,
    withdrawal_is_a_conditional_update,
    a_phone_change_needs_an_active_member,
    times_are_utc_milliseconds,
);

/// Withdrawals retire a browse cache; these tests have none to look at.
static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::new(Duration::ZERO));

fn new_member<'a>(user_key: &'a str, name: &'a MemberName, phone: &'a PhoneNumber) -> NewMember<'a> {
    NewMember {
        user_key,
        plusfriend_key: Some("pf"),
        name,
        phone,
    }
}

async fn a_member_is_stored_and_found_by_user_key(backend: Backend) {
    let t = TestDb::new(backend).await;
    let name = MemberName::parse("홍길동").unwrap();
    let phone = PhoneNumber::parse("010-1111-2222").unwrap();
    let created = store::insert(&t.db, new_member("u1", &name, &phone))
        .await
        .unwrap();
    let found = store::find_active(&t.db, "u1").await.unwrap().unwrap();
    assert_eq!(found, created);
    assert_eq!(found.grade, Grade::Bronze);
    assert_eq!(found.phone.as_str(), "01011112222");
    assert!(store::find_active(&t.db, "nobody").await.unwrap().is_none());
}

async fn ids_come_from_the_database_and_increase(backend: Backend) {
    let t = TestDb::new(backend).await;
    let phone = PhoneNumber::parse("01011112222").unwrap();
    let mut last = 0;
    for i in 0..5 {
        let name = MemberName::parse(&format!("회원{i}")).unwrap();
        let m = store::insert(&t.db, new_member(&format!("u{i}"), &name, &phone))
            .await
            .unwrap();
        assert!(m.id.get() > last);
        last = m.id.get();
    }
}

async fn names_and_user_keys_are_unique_among_active_members_only(backend: Backend) {
    let t = TestDb::new(backend).await;
    let name = MemberName::parse("홍길동").unwrap();
    let other = MemberName::parse("임꺽정").unwrap();
    let phone = PhoneNumber::parse("01011112222").unwrap();
    let first = store::insert(&t.db, new_member("u1", &name, &phone))
        .await
        .unwrap();
    assert!(matches!(
        store::insert(&t.db, new_member("u2", &name, &phone)).await,
        Err(JoinError::NameTaken)
    ));
    assert!(matches!(
        store::insert(&t.db, new_member("u1", &other, &phone)).await,
        Err(JoinError::AlreadyMember)
    ));
    assert_eq!(
        store::withdraw(&t.db, &CATALOG, first.id).await.unwrap(),
        WithdrawOutcome::Withdrawn
    );
    store::insert(&t.db, new_member("u2", &name, &phone))
        .await
        .unwrap();
    store::insert(&t.db, new_member("u1", &other, &phone))
        .await
        .unwrap();
}

async fn withdrawal_is_a_conditional_update(backend: Backend) {
    let t = TestDb::new(backend).await;
    let name = MemberName::parse("홍길동").unwrap();
    let phone = PhoneNumber::parse("01011112222").unwrap();
    let m = store::insert(&t.db, new_member("u1", &name, &phone))
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        store::withdraw(&t.db, &CATALOG, m.id),
        store::withdraw(&t.db, &CATALOG, m.id)
    );
    let mut outcomes = [a.unwrap(), b.unwrap()];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, [WithdrawOutcome::NotActive, WithdrawOutcome::Withdrawn]);
    assert!(store::find_active(&t.db, "u1").await.unwrap().is_none());
}

async fn a_phone_change_needs_an_active_member(backend: Backend) {
    let t = TestDb::new(backend).await;
    let name = MemberName::parse("홍길동").unwrap();
    let phone = PhoneNumber::parse("01011112222").unwrap();
    let new_phone = PhoneNumber::parse("01033334444").unwrap();
    let m = store::insert(&t.db, new_member("u1", &name, &phone))
        .await
        .unwrap();
    assert!(store::update_phone(&t.db, m.id, &new_phone).await.unwrap());
    assert_eq!(
        store::find_active(&t.db, "u1").await.unwrap().unwrap().phone,
        new_phone
    );
    store::withdraw(&t.db, &CATALOG, m.id).await.unwrap();
    assert!(!store::update_phone(&t.db, m.id, &new_phone).await.unwrap());
}

async fn times_are_utc_milliseconds(backend: Backend) {
    let t = TestDb::new(backend).await;
    let before = junggye::clock::now_ms();
    let name = MemberName::parse("홍길동").unwrap();
    let phone = PhoneNumber::parse("01011112222").unwrap();
    let m = store::insert(&t.db, new_member("u1", &name, &phone))
        .await
        .unwrap();
    let after = junggye::clock::now_ms();
    assert!((before..=after).contains(&m.joined_at));
    assert!(m.joined_at > 1_700_000_000_000, "milliseconds, not seconds");
}

/// Two processes starting on a fresh SQLite file migrate at the same moment: both come up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_migrating_a_fresh_sqlite_file_at_once_both_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = junggye::db::DatabaseUrl::new(&format!("sqlite://{}", dir.path().join("shared.db").display()));
    let a = junggye::db::Db::connect(&url, 4).await.unwrap();
    let b = junggye::db::Db::connect(&url, 4).await.unwrap();
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    ra.expect("first migrates");
    rb.expect("second migrates");
    a.ping().await.unwrap();
}
