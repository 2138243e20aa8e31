//! Managing admin accounts: the API (admins only) and the command line, the audit log, sign-ins ended by
//! disabling and by a new password, and never without an active admin — also when two admins disable each
//! other at once.

use axum::http::{Method, StatusCode};
use junggye::admin::accounts::{self, AccountChange, Changed, Role};
use junggye::admin::audit::Actor;
use serde_json::json;

use crate::admin_auth::{
    PASSWORD, account, admin_app, call, get, junggye_cli, login, me, post, refresh, sign_in,
};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

async fn audit_actions(app: &TestApp, target: i64) -> Vec<(String, String)> {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_as(
            "SELECT username, action FROM admin_audit_log WHERE target_type = 'admin_account' AND target_id = $1 AND action LIKE 'account.%' ORDER BY id",
        )
        .bind(target)
        .fetch_all(pool)
        .await
        .unwrap()
    })
}

async fn admins_list_disable_enable_and_reset_accounts_through_the_api(backend: Backend) {
    let app = admin_app(backend).await;
    let boss = account(&app, "boss", Role::Admin).await;
    let lee = account(&app, "lee", Role::Viewer).await;
    let (admin, _) = sign_in(&app.router, "boss").await;
    let (viewer, viewer_refresh) = sign_in(&app.router, "lee").await;

    let listed = get("/admin/accounts").bearer(&admin).send(&app.router).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let names: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["boss", "lee"]);
    assert!(
        listed.body.to_string().find("password").is_none(),
        "no hash shown"
    );
    get("/admin/accounts")
        .bearer(&viewer)
        .send(&app.router)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Disabling ends the viewer's sign-ins at once: the access token and the refresh token.
    let disabled = post(&format!("/admin/accounts/{}/disable", lee.id), json!({}))
        .bearer(&admin)
        .send(&app.router)
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert_eq!(disabled.body["active"], false);
    me(&app.router, &viewer).await.assert_invalid_token();
    refresh(&app.router, &viewer_refresh)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    assert_eq!(
        login(&app.router, "lee", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = post(&format!("/admin/accounts/{}/disable", lee.id), json!({}))
        .bearer(&admin)
        .send(&app.router)
        .await;
    assert_eq!(again.status, StatusCode::OK, "disabling twice is no error");

    let enabled = post(&format!("/admin/accounts/{}/enable", lee.id), json!({}))
        .bearer(&admin)
        .send(&app.router)
        .await;
    assert_eq!(enabled.body["active"], true, "{}", enabled.body);
    let (viewer, _) = sign_in(&app.router, "lee").await;

    // A role takes effect on the next request.
    let promoted = call(
        Method::PUT,
        &format!("/admin/accounts/{}/role", lee.id),
        Some(json!({"role": "admin"})),
    )
    .bearer(&admin)
    .send(&app.router)
    .await;
    assert_eq!(promoted.body["role"], "admin", "{}", promoted.body);
    assert_eq!(
        get("/admin/accounts")
            .bearer(&viewer)
            .send(&app.router)
            .await
            .status,
        StatusCode::OK
    );
    call(
        Method::PUT,
        &format!("/admin/accounts/{}/role", lee.id),
        Some(json!({"role": "root"})),
    )
    .bearer(&admin)
    .send(&app.router)
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");

    // A new password: the old one stops, the new one works, the sign-ins made with the old one end.
    let (_, lee_refresh) = sign_in(&app.router, "lee").await;
    let new_password = "another long passphrase";
    call(
        Method::PUT,
        &format!("/admin/accounts/{}/password", lee.id),
        Some(json!({"password": "short"})),
    )
    .bearer(&admin)
    .send(&app.router)
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let reset = call(
        Method::PUT,
        &format!("/admin/accounts/{}/password", lee.id),
        Some(json!({"password": new_password})),
    )
    .bearer(&admin)
    .send(&app.router)
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(
        login(&app.router, "lee", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app.router, "lee", new_password).await.status,
        StatusCode::OK
    );
    assert_eq!(
        refresh(&app.router, &lee_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );

    post("/admin/accounts/999999/disable", json!({}))
        .bearer(&admin)
        .send(&app.router)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    let audited = audit_actions(&app, lee.id).await;
    let actions: Vec<&str> = audited.iter().map(|(_, a)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.disable",
            "account.enable",
            "account.role",
            "account.password"
        ]
    );
    assert!(audited.iter().all(|(who, _)| who == "boss"), "{audited:?}");
    assert!(audit_actions(&app, boss.id).await.is_empty());
}

async fn the_last_active_admin_can_be_neither_disabled_nor_demoted(backend: Backend) {
    let app = admin_app(backend).await;
    let boss = account(&app, "boss", Role::Admin).await;
    let lee = account(&app, "lee", Role::Admin).await;
    let (admin, _) = sign_in(&app.router, "boss").await;
    // Two admins: one may go.
    let demoted = call(
        Method::PUT,
        &format!("/admin/accounts/{}/role", lee.id),
        Some(json!({"role": "viewer"})),
    )
    .bearer(&admin)
    .send(&app.router)
    .await;
    assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.body);
    // Now boss is the last: neither themselves nor anyone can remove the last admin.
    for refused in [
        post(&format!("/admin/accounts/{}/disable", boss.id), json!({})),
        call(
            Method::PUT,
            &format!("/admin/accounts/{}/role", boss.id),
            Some(json!({"role": "viewer"})),
        ),
    ] {
        refused
            .bearer(&admin)
            .send(&app.router)
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");
    }
    // A disabled admin does not count: re-promoting a disabled account leaves boss the only active one.
    let actor = Actor {
        account_id: boss.id,
        username: "boss",
    };
    let db = &app.state.db;
    assert!(matches!(
        accounts::change(db, actor, lee.id, AccountChange::Disable)
            .await
            .unwrap(),
        Changed::Done(_)
    ));
    assert!(matches!(
        accounts::change(db, actor, lee.id, AccountChange::Role(Role::Admin))
            .await
            .unwrap(),
        Changed::Done(_)
    ));
    assert!(matches!(
        accounts::change(db, actor, boss.id, AccountChange::Disable)
            .await
            .unwrap(),
        Changed::LastAdmin
    ));
    assert_eq!(me(&app.router, &admin).await.body["role"], "admin");
}

async fn two_admins_disabling_each_other_at_once_leave_one_active(backend: Backend) {
    let app = admin_app(backend).await;
    for round in 0..10 {
        let a = account(&app, &format!("adm-a{round}"), Role::Admin).await;
        let b = account(&app, &format!("adm-b{round}"), Role::Admin).await;
        // Everyone else of earlier rounds is disabled first, so these two are the only admins.
        for other in accounts::list(&app.state.db).await.unwrap() {
            if other.id != a.id && other.id != b.id && other.is_active() {
                let actor = Actor {
                    account_id: a.id,
                    username: "test",
                };
                accounts::change(&app.state.db, actor, other.id, AccountChange::Disable)
                    .await
                    .unwrap();
            }
        }
        let as_a = Actor {
            account_id: a.id,
            username: "a",
        };
        let as_b = Actor {
            account_id: b.id,
            username: "b",
        };
        let (one, two) = tokio::join!(
            accounts::change(&app.state.db, as_a, b.id, AccountChange::Disable),
            accounts::change(&app.state.db, as_b, a.id, AccountChange::Disable),
        );
        let done = [one.unwrap(), two.unwrap()]
            .into_iter()
            .filter(|c| matches!(c, Changed::Done(_)))
            .count();
        assert_eq!(done, 1, "round {round}: exactly one of the two disables wins");
        let active_admins = accounts::list(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|x| x.is_active() && x.role == Role::Admin)
            .count();
        assert_eq!(active_admins, 1, "round {round}");
    }
}

on_both_backends!(
    admins_list_disable_enable_and_reset_accounts_through_the_api,
    the_last_active_admin_can_be_neither_disabled_nor_demoted,
    two_admins_disabling_each_other_at_once_leave_one_active,
);

/// `junggye admin list | disable | enable | role | password` on a SQLite file.
#[tokio::test]
async fn the_admin_commands_list_and_change_accounts_and_keep_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = |args: &[&str], stdin: &str| {
        let output = junggye_cli(dir.path(), &url, args, stdin);
        async move {
            let out = output.await;
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.success(), text)
        }
    };
    let line = format!("{PASSWORD}\n");
    for (name, role) in [("boss", "admin"), ("lee", "viewer")] {
        let made = run(
            &[
                "admin",
                "create",
                "--username",
                name,
                "--role",
                role,
                "--password-stdin",
            ],
            &line,
        )
        .await;
        assert!(made.0, "{}", made.1);
    }
    let (ok, listed) = run(&["admin", "list"], "").await;
    assert!(
        ok && listed.contains("boss") && listed.contains("viewer") && listed.contains("active"),
        "{listed}"
    );

    let (ok, said) = run(&["admin", "disable", "boss"], "").await;
    assert!(!ok && said.contains("last active admin"), "{said}");
    let (ok, said) = run(&["admin", "role", "boss", "viewer"], "").await;
    assert!(!ok && said.contains("last active admin"), "{said}");
    let (ok, said) = run(&["admin", "role", "lee", "admin"], "").await;
    assert!(ok && said.contains("\"role\":\"admin\""), "{said}");
    let (ok, said) = run(&["admin", "disable", "boss"], "").await;
    assert!(ok && said.contains("\"active\":false"), "{said}");
    let (ok, said) = run(&["admin", "disable", "boss"], "").await;
    assert!(ok && said.contains("already so"), "{said}");
    let (ok, said) = run(&["admin", "enable", "boss"], "").await;
    assert!(ok && said.contains("\"active\":true"), "{said}");
    let (ok, said) = run(&["admin", "password", "lee", "--password-stdin"], "short\n").await;
    assert!(!ok && said.contains("at least 12"), "{said}");
    let (ok, said) = run(
        &["admin", "password", "lee", "--password-stdin"],
        "a brand new passphrase\n",
    )
    .await;
    assert!(ok, "{said}");
    let (ok, said) = run(&["admin", "disable", "nobody"], "").await;
    assert!(!ok && said.contains("no account named"), "{said}");

    let db = junggye::db::Db::connect(&junggye::db::DatabaseUrl::new(&url), 1)
        .await
        .unwrap();
    let rows: Vec<(String, String)> = junggye::dispatch!(&db, pool => {
        sqlx::query_as("SELECT username, action FROM admin_audit_log ORDER BY id").fetch_all(pool).await.unwrap()
    });
    let actions: Vec<&str> = rows.iter().map(|(_, a)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.role",
            "account.disable",
            "account.enable",
            "account.password"
        ]
    );
    assert!(rows.iter().all(|(who, _)| who == "cli"), "{rows:?}");
}
