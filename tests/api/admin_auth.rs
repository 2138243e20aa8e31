//! The admin API's authentication: sign-in, token checks, refresh rotation and reuse detection, roles,
//! throttling, the problem format, the OpenAPI document and the `admin create` command.

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use junggye::admin::accounts::{self, Account, Role, Username};
use junggye::admin::password::Password;
use junggye::admin::{AdminOnly, AdminState, ApiError, audit};
use junggye::cache::Cache;
use junggye::kakao::Nav;
use junggye::router;
use junggye::state::AppState;
use serde_json::{Value, json};
use tower::ServiceExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::helpers::{Backend, TestApp, TestDb, free_port, payload, test_config};
use crate::on_both_backends;

pub(crate) const SECRET: &str = "test-admin-jwt-secret-0123456789abcdef";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) async fn admin_app(backend: Backend) -> TestApp {
    TestApp::with(
        backend,
        |c| c.jwt_secret = Some(SECRET.to_owned().into()),
        router::skill_routes(),
    )
    .await
}

pub(crate) async fn account(app: &TestApp, name: &str, role: Role) -> Account {
    accounts::create(
        &app.state.db,
        &Username::parse(name).unwrap(),
        role,
        &Password::new(PASSWORD.into()).unwrap(),
    )
    .await
    .unwrap()
}

/// An answer: status, headers and the body as JSON (`Null` when it is not JSON).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts a problem+json answer with `status` and the problem type `slug`.
    pub(crate) fn assert_problem(&self, status: StatusCode, slug: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.header(header::CONTENT_TYPE), "application/problem+json");
        assert_eq!(
            self.body["type"],
            format!("urn:junggye:problem:{slug}"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status.as_u16());
        assert!(self.body["title"].is_string() && self.body["detail"].is_string());
    }

    pub(crate) fn assert_invalid_token(&self) {
        self.assert_problem(StatusCode::UNAUTHORIZED, "invalid-token");
        let challenge = self.header(header::WWW_AUTHENTICATE);
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    }
}

/// One request to the admin API.
pub(crate) struct Call {
    method: Method,
    path: String,
    bearer: Option<String>,
    body: Option<Value>,
    client: Option<IpAddr>,
}

pub(crate) fn get(path: &str) -> Call {
    Call {
        method: Method::GET,
        path: path.into(),
        bearer: None,
        body: None,
        client: None,
    }
}

pub(crate) fn post(path: &str, body: Value) -> Call {
    Call {
        method: Method::POST,
        body: Some(body),
        ..get(path)
    }
}

/// A request with any method, and a JSON body when given one.
pub(crate) fn call(method: Method, path: &str, body: Option<Value>) -> Call {
    Call {
        method,
        body,
        ..get(path)
    }
}

impl Call {
    pub(crate) fn bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.into());
        self
    }

    fn from(mut self, ip: &str) -> Self {
        self.client = Some(ip.parse().unwrap());
        self
    }

    pub(crate) async fn send(self, router: &Router) -> Answer {
        let mut request = Request::builder().method(self.method).uri(&self.path);
        if let Some(token) = &self.bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match &self.body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).unwrap();
        if let Some(ip) = self.client {
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip, 40_000)));
        }
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }
}

pub(crate) async fn login(router: &Router, username: &str, password: &str) -> Answer {
    post(
        "/admin/auth/login",
        json!({"username": username, "password": password}),
    )
    .send(router)
    .await
}

/// Signs in and returns (access token, refresh token).
pub(crate) async fn sign_in(router: &Router, username: &str) -> (String, String) {
    let answer = login(router, username, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    (
        answer.body["access_token"].as_str().unwrap().to_owned(),
        answer.body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn refresh(router: &Router, refresh_token: &str) -> Answer {
    post("/admin/auth/refresh", json!({"refresh_token": refresh_token}))
        .send(router)
        .await
}

pub(crate) async fn me(router: &Router, access_token: &str) -> Answer {
    get("/admin/me").bearer(access_token).send(router).await
}

fn payload_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Claims like ours, for `account`, valid now unless changed.
fn claims_for(account: &Account) -> Value {
    let now = junggye::admin::tokens::unix_now();
    json!({
        "iss": "junggye", "aud": "junggye:admin", "sub": account.id.to_string(),
        "name": account.username, "role": account.role, "typ": "access",
        "iat": now, "nbf": now, "exp": now + 600, "jti": "test",
    })
}

fn sign(claims: &Value, algorithm: Algorithm, key: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

fn edited(claims: &Value, field: &str, value: Value) -> Value {
    let mut claims = claims.clone();
    claims[field] = value;
    claims
}

async fn a_login_gives_a_bearer_pair_whose_access_token_opens_viewer_routes(backend: Backend) {
    let app = admin_app(backend).await;
    let kim = account(&app, "kim.viewer", Role::Viewer).await;
    let answer = login(&app.router, "Kim.Viewer", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 900);
    let refresh_token = answer.body["refresh_token"].as_str().unwrap();
    assert_eq!(refresh_token.len(), 43, "256 random bits, base64url");
    let access = answer.body["access_token"].as_str().unwrap();
    let claims = payload_of(access);
    assert_eq!(claims["iss"], "junggye");
    assert_eq!(claims["aud"], "junggye:admin");
    assert_eq!(claims["sub"], kim.id.to_string());
    assert_eq!(
        (&claims["name"], &claims["role"]),
        (&json!("kim.viewer"), &json!("viewer"))
    );
    assert_eq!(claims["typ"], "access");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        900
    );
    assert_eq!(claims["nbf"], claims["iat"]);
    assert!(claims["jti"].is_string());

    let me = me(&app.router, access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["account_id"], kim.id);
    assert_eq!(
        (&me.body["username"], &me.body["role"]),
        (&json!("kim.viewer"), &json!("viewer"))
    );

    let stored: Vec<(String,)> = junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_as("SELECT token_hash FROM admin_refresh_tokens").fetch_all(pool).await.unwrap()
    });
    assert_eq!(stored.len(), 1);
    assert_ne!(
        stored[0].0, refresh_token,
        "only a hash of the refresh token is stored"
    );
    assert!(!stored[0].0.contains(refresh_token));
}

async fn a_wrong_password_an_unknown_user_and_a_disabled_account_get_the_same_answer(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "kim", Role::Admin).await;
    let lee = account(&app, "lee", Role::Admin).await;
    accounts::disable(&app.state.db, lee.id).await.unwrap();
    let wrong_password = login(&app.router, "kim", "not the password at all").await;
    let unknown_user = login(&app.router, "park", PASSWORD).await;
    let disabled = login(&app.router, "lee", PASSWORD).await;
    let malformed_name = login(&app.router, "x", PASSWORD).await;
    wrong_password.assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    for other in [&unknown_user, &disabled, &malformed_name] {
        assert_eq!(other.status, wrong_password.status);
        assert_eq!(other.body, wrong_password.body);
    }
}

async fn expired_and_not_yet_valid_access_tokens_are_refused(backend: Backend) {
    let app = admin_app(backend).await;
    let kim = account(&app, "kim", Role::Admin).await;
    let claims = claims_for(&kim);
    let now = junggye::admin::tokens::unix_now();
    assert_eq!(
        me(&app.router, &sign(&claims, Algorithm::HS256, SECRET))
            .await
            .status,
        StatusCode::OK
    );
    let expired = edited(&claims, "exp", json!(now - 60));
    let answer = me(&app.router, &sign(&expired, Algorithm::HS256, SECRET)).await;
    answer.assert_invalid_token();
    assert!(answer.body["detail"].as_str().unwrap().contains("expired"));
    let early = edited(&claims, "nbf", json!(now + 300));
    let answer = me(&app.router, &sign(&early, Algorithm::HS256, SECRET)).await;
    answer.assert_invalid_token();
    assert!(answer.body["detail"].as_str().unwrap().contains("not valid yet"));
}

async fn tokens_signed_with_another_algorithm_or_none_are_refused(backend: Backend) {
    let app = admin_app(backend).await;
    let kim = account(&app, "kim", Role::Admin).await;
    let claims = claims_for(&kim);
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        me(&app.router, &sign(&claims, algorithm, SECRET))
            .await
            .assert_invalid_token();
    }
    // {"alg":"none","typ":"JWT"} with our claims and no signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    for unsigned in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
        me(&app.router, &unsigned).await.assert_invalid_token();
    }
}

async fn tokens_with_another_key_audience_issuer_or_type_are_refused(backend: Backend) {
    let app = admin_app(backend).await;
    let kim = account(&app, "kim", Role::Admin).await;
    let claims = claims_for(&kim);
    let forged = [
        sign(&claims, Algorithm::HS256, "another-key-another-key-another-key!!"),
        sign(
            &edited(&claims, "aud", json!("junggye:pay")),
            Algorithm::HS256,
            SECRET,
        ),
        sign(
            &edited(&claims, "iss", json!("someone-else")),
            Algorithm::HS256,
            SECRET,
        ),
        sign(
            &edited(&claims, "typ", json!("refresh")),
            Algorithm::HS256,
            SECRET,
        ),
    ];
    for token in &forged {
        me(&app.router, token).await.assert_invalid_token();
    }
    // The opaque refresh token is not an access token either.
    let (_, refresh_token) = sign_in(&app.router, "kim").await;
    me(&app.router, &refresh_token).await.assert_invalid_token();
}

async fn an_edited_payload_is_refused(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "kim", Role::Viewer).await;
    let (access, _) = sign_in(&app.router, "kim").await;
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let promoted = edited(&payload_of(&access), "role", json!("admin"));
    parts[1] = URL_SAFE_NO_PAD.encode(promoted.to_string());
    let tampered = parts.join(".");
    me(&app.router, &tampered).await.assert_invalid_token();
    post("/admin/auth/revoke-all", json!({"account_id": 1}))
        .bearer(&tampered)
        .send(&app.router)
        .await
        .assert_invalid_token();
}

async fn a_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "kim", Role::Admin).await;
    let (first_access, first_refresh) = sign_in(&app.router, "kim").await;
    let answer = refresh(&app.router, &first_refresh).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let second_access = answer.body["access_token"].as_str().unwrap();
    let second_refresh = answer.body["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh);
    assert_ne!(second_access, first_access);
    assert_eq!(me(&app.router, second_access).await.status, StatusCode::OK);
    assert_eq!(answer.body["token_type"], "Bearer");

    refresh(&app.router, &first_refresh)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    refresh(&app.router, "never-issued")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
}

async fn reusing_a_refresh_token_revokes_its_whole_family(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "kim", Role::Admin).await;
    let (_, stolen) = sign_in(&app.router, "kim").await;
    let (_, other_sign_in) = sign_in(&app.router, "kim").await;
    let answer = refresh(&app.router, &stolen).await;
    let newest = answer.body["refresh_token"].as_str().unwrap().to_owned();

    let reuse = refresh(&app.router, &stolen).await;
    reuse.assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    assert!(reuse.body["detail"].as_str().unwrap().contains("already used"));
    refresh(&app.router, &newest)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    assert_eq!(
        refresh(&app.router, &other_sign_in).await.status,
        StatusCode::OK,
        "another sign-in of the same account is not affected"
    );
}

async fn logout_revokes_the_sign_in(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "kim", Role::Admin).await;
    let (_, first) = sign_in(&app.router, "kim").await;
    let rotated = refresh(&app.router, &first).await;
    let current = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    let logout = |token: String| {
        let router = app.router.clone();
        async move {
            post("/admin/auth/logout", json!({"refresh_token": token}))
                .send(&router)
                .await
        }
    };
    let answer = logout(current.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["signed_out"], true);
    refresh(&app.router, &current)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    assert_eq!(
        logout(current).await.status,
        StatusCode::OK,
        "signing out twice is fine"
    );
    logout("never-issued".into())
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
}

async fn a_viewer_reads_but_is_refused_admin_only_routes(backend: Backend) {
    let app = admin_app(backend).await;
    let viewer = account(&app, "viewer", Role::Viewer).await;
    account(&app, "boss", Role::Admin).await;
    let (viewer_token, _) = sign_in(&app.router, "viewer").await;
    let (admin_token, _) = sign_in(&app.router, "boss").await;
    assert_eq!(me(&app.router, &viewer_token).await.status, StatusCode::OK);
    let revoke = |token: String| {
        let router = app.router.clone();
        async move {
            post("/admin/auth/revoke-all", json!({"account_id": viewer.id}))
                .bearer(&token)
                .send(&router)
                .await
        }
    };
    let refused = revoke(viewer_token).await;
    refused.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        refused
            .header(header::WWW_AUTHENTICATE)
            .contains("insufficient_scope")
    );
    let allowed = revoke(admin_token.clone()).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    assert_eq!(allowed.body["revoked"], 1);
    post("/admin/auth/revoke-all", json!({"account_id": 999_999}))
        .bearer(&admin_token)
        .send(&app.router)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
}

/// A test-only endpoint, added the way the guide in `admin` says: `AdminOnly`, `routes!`, `audit`.
#[utoipa::path(post, path = "/admin/test/stamp", responses((status = 200, body = Value)))]
async fn stamp(
    axum::extract::State(state): axum::extract::State<AdminState>,
    AdminOnly(claims): AdminOnly,
) -> Result<axum::Json<Value>, ApiError> {
    let after = json!({"stamped_by": claims.username});
    let entry = audit::Entry::new("test.stamp", "stamp", Some(7)).after(&after);
    audit::record(&state.app.db, &claims, &entry).await?;
    Ok(axum::Json(after))
}

async fn an_added_admin_only_endpoint_gets_the_claims_and_writes_the_audit_log(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "viewer", Role::Viewer).await;
    let boss = account(&app, "boss", Role::Admin).await;
    let router = junggye::router::admin_routes(&app.state, OpenApiRouter::new().routes(routes!(stamp)))
        .with_state(app.state.clone());
    let (viewer_token, _) = sign_in(&router, "viewer").await;
    let (admin_token, _) = sign_in(&router, "boss").await;
    post("/admin/test/stamp", json!({}))
        .send(&router)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    post("/admin/test/stamp", json!({}))
        .bearer(&viewer_token)
        .send(&router)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let answer = post("/admin/test/stamp", json!({}))
        .bearer(&admin_token)
        .send(&router)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["stamped_by"], "boss");

    let log = audit::recent(&app.state.db, None, 10).await.unwrap();
    let stamp = log.iter().find(|e| e.action == "test.stamp").expect("audited");
    assert_eq!((stamp.account_id, stamp.username.as_str()), (boss.id, "boss"));
    assert_eq!((stamp.target_type.as_str(), stamp.target_id), ("stamp", Some(7)));
    assert_eq!(stamp.before_json, None);
    assert_eq!(stamp.after_json.as_deref(), Some(r#"{"stamped_by":"boss"}"#));
    assert!(
        log.iter()
            .any(|e| e.action == "auth.login" && e.account_id == boss.id)
    );
}

async fn a_disabled_account_is_shut_out_at_once(backend: Backend) {
    let app = admin_app(backend).await;
    let kim = account(&app, "kim", Role::Admin).await;
    let (access, refresh_token) = sign_in(&app.router, "kim").await;
    assert!(accounts::disable(&app.state.db, kim.id).await.unwrap());
    me(&app.router, &access).await.assert_invalid_token();
    refresh(&app.router, &refresh_token)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
}

async fn a_demoted_account_acts_with_its_current_role(backend: Backend) {
    let app = admin_app(backend).await;
    let kim = account(&app, "kim", Role::Admin).await;
    let (access, _) = sign_in(&app.router, "kim").await;
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query("UPDATE admin_accounts SET role = 'viewer' WHERE id = $1")
            .bind(kim.id)
            .execute(pool)
            .await
            .unwrap();
    });
    assert_eq!(me(&app.router, &access).await.body["role"], "viewer");
    post("/admin/auth/revoke-all", json!({"account_id": kim.id}))
        .bearer(&access)
        .send(&app.router)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn missing_and_malformed_credentials_get_bearer_challenges_and_unknown_urls_stay_404() {
    let app = admin_app(Backend::Sqlite).await;
    let missing = get("/admin/me").send(&app.router).await;
    missing.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(missing.header(header::WWW_AUTHENTICATE), "Bearer realm=\"admin\"");
    let garbage = get("/admin/me").bearer("garbage").send(&app.router).await;
    garbage.assert_invalid_token();
    assert_eq!(
        get("/admin/no-such-thing").send(&app.router).await.status,
        StatusCode::NOT_FOUND
    );
    let not_json = Request::post("/admin/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let response = app.router.clone().oneshot(not_json).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
}

/// Under `/admin`, an unknown URL is a 404 problem and a wrong method a 405 problem with `Allow`, with or
/// without a token: the auth layer's 401 hides neither. Skill and other URLs keep their own answers.
#[tokio::test]
async fn unknown_admin_urls_and_wrong_methods_answer_problems_before_auth() {
    let app = admin_app(Backend::Sqlite).await;
    account(&app, "kim", Role::Admin).await;
    let (token, _) = sign_in(&app.router, "kim").await;
    for path in [
        "/admin",
        "/admin/",
        "/admin/no-such-thing",
        "/admin/members/1/nothing",
    ] {
        for request in [get(path), get(path).bearer(&token)] {
            request
                .send(&app.router)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "no-route");
        }
    }
    for (method, path, allow) in [
        (Method::DELETE, "/admin/me", "GET,HEAD"),
        (Method::GET, "/admin/auth/login", "POST"),
        (Method::PUT, "/admin/members/1", "GET,HEAD"),
        (Method::POST, "/admin/openapi.json", "GET,HEAD"),
    ] {
        for request in [
            call(method.clone(), path, None),
            call(method.clone(), path, None).bearer(&token),
        ] {
            let answer = request.send(&app.router).await;
            answer.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
            assert_eq!(answer.header(header::ALLOW), allow, "{method} {path}");
        }
    }
    for (method, path, status) in [
        (Method::GET, "/skill/members/join", StatusCode::METHOD_NOT_ALLOWED),
        (Method::POST, "/skill/no-such-skill", StatusCode::NOT_FOUND),
        (Method::GET, "/no-such-thing", StatusCode::NOT_FOUND),
    ] {
        let answer = call(method.clone(), path, None).send(&app.router).await;
        assert_eq!(answer.status, status, "{method} {path}");
        assert_ne!(answer.header(header::CONTENT_TYPE), "application/problem+json");
    }
    let joined = app
        .skill(
            "/skill/members/join",
            &payload("u-kim")
                .param("name", "김철수")
                .param("phone", "010-1234-5678")
                .build(),
        )
        .await;
    assert!(joined.contains("환영"), "{}", joined.text());

    let off = TestApp::new(Backend::Sqlite).await;
    get("/admin/no-such-thing")
        .send(&off.router)
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "admin-disabled");
    post("/admin/openapi.json", json!({}))
        .send(&off.router)
        .await
        .assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
}

#[tokio::test]
async fn without_jwt_secret_the_admin_api_answers_503_but_documents_itself() {
    let app = TestApp::new(Backend::Sqlite).await;
    login(&app.router, "kim", PASSWORD)
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "admin-disabled");
    get("/admin/me")
        .send(&app.router)
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "admin-disabled");
    let document = get("/admin/openapi.json").send(&app.router).await;
    assert_eq!(document.status, StatusCode::OK);
    assert!(document.body["paths"]["/admin/auth/login"].is_object());
}

#[tokio::test]
async fn the_openapi_document_is_public_and_describes_the_auth_endpoints() {
    let app = admin_app(Backend::Sqlite).await;
    let answer = get("/admin/openapi.json").send(&app.router).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header(header::CONTENT_TYPE), "application/json");
    let doc = answer.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/admin/auth/login", "/admin/auth/refresh", "/admin/auth/logout"] {
        let operation = &doc["paths"][path]["post"];
        assert!(
            operation["requestBody"]["content"]["application/json"].is_object(),
            "{path}"
        );
        assert!(operation["responses"]["200"].is_object(), "{path}");
        assert!(
            operation["responses"]["401"]["content"]["application/problem+json"].is_object(),
            "{path}"
        );
    }
    assert!(doc["paths"]["/admin/auth/login"]["post"]["responses"]["429"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

/// Failed logins until the limit, then 429 with `Retry-After`, even with the right password.
async fn assert_username_throttled(router: &Router, username: &str, from: &str) {
    for _ in 0..5 {
        let answer = post(
            "/admin/auth/login",
            json!({"username": username, "password": "wrong password!"}),
        )
        .from(from)
        .send(router)
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let refused = post(
        "/admin/auth/login",
        json!({"username": username, "password": PASSWORD}),
    )
    .from(from)
    .send(router)
    .await;
    refused.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
    let wait: u64 = refused.header(header::RETRY_AFTER).parse().unwrap();
    assert!((1..=900).contains(&wait), "Retry-After: {wait}");
}

/// Failures spread over many usernames from one address until its limit, then 429 for that address only.
async fn assert_address_throttled(router: &Router, username: &str, from: &str, elsewhere: &str) {
    // Guessed names unique to the run, so their own per-username counters (kept in Redis between runs)
    // never fill up.
    let run = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..20 {
        let guess = format!("guess{i}-{}", &run[..8]);
        let answer = post(
            "/admin/auth/login",
            json!({"username": guess, "password": "wrong password!"}),
        )
        .from(from)
        .send(router)
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let refused = post(
        "/admin/auth/login",
        json!({"username": username, "password": PASSWORD}),
    )
    .from(from)
    .send(router)
    .await;
    refused.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
    assert!(refused.header(header::RETRY_AFTER).parse::<u64>().is_ok());
    let elsewhere = post(
        "/admin/auth/login",
        json!({"username": username, "password": PASSWORD}),
    )
    .from(elsewhere)
    .send(router)
    .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.body);
}

async fn failed_logins_are_throttled_per_username(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "kim", Role::Admin).await;
    account(&app, "lee", Role::Admin).await;
    assert_username_throttled(&app.router, "kim", "192.0.2.1").await;
    assert_eq!(login(&app.router, "lee", PASSWORD).await.status, StatusCode::OK);
}

async fn failed_logins_are_throttled_per_client_address(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "kim", Role::Admin).await;
    assert_address_throttled(&app.router, "kim", "192.0.2.1", "2001:db8::1").await;
}

/// The same limits counted in Redis, shared by every instance (names and addresses unique to the run).
async fn failed_logins_are_throttled_in_redis(backend: Backend) {
    let redis_url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let cache = Cache::redis(&redis_url).unwrap();
    cache
        .ping()
        .await
        .unwrap_or_else(|e| panic!("Redis at {redis_url} is required: {e}"));
    let app = admin_app_on(backend, cache).await;
    let (state, router) = (&app.state, &app.router);
    let run = uuid::Uuid::new_v4();
    let username = format!("kim-{}", &run.simple().to_string()[..12]);
    // Three /64 networks of the documentation prefix, random for this run.
    let network = |n: usize| {
        let b = run.as_bytes();
        format!(
            "2001:db8:{:02x}{:02x}:{:02x}{:02x}::1",
            b[4 * n],
            b[4 * n + 1],
            b[4 * n + 2],
            b[4 * n + 3]
        )
    };
    let (address, other, fresh) = (network(0), network(1), network(2));
    accounts::create(
        &state.db,
        &Username::parse(&username).unwrap(),
        Role::Admin,
        &Password::new(PASSWORD.into()).unwrap(),
    )
    .await
    .unwrap();
    assert_username_throttled(router, &username, &other).await;
    // The per-username counter is spent; a second name proves the per-address limit alone.
    let second = format!("lee-{}", &run.simple().to_string()[..12]);
    accounts::create(
        &state.db,
        &Username::parse(&second).unwrap(),
        Role::Admin,
        &Password::new(PASSWORD.into()).unwrap(),
    )
    .await
    .unwrap();
    assert_address_throttled(router, &second, &address, &fresh).await;
}

/// An admin app whose cache (login counters included) is `cache`.
async fn admin_app_on(backend: Backend, cache: Cache) -> CachedApp {
    let db = TestDb::new(backend).await;
    let image_dir = tempfile::tempdir().unwrap();
    let mut config = test_config(image_dir.path());
    config.jwt_secret = Some(SECRET.to_owned().into());
    let state = AppState::from_parts(config, db.db.clone(), cache, Nav::default()).unwrap();
    let router = router::router(state.clone());
    CachedApp {
        state,
        router,
        _db: db,
        _image_dir: image_dir,
    }
}

/// An app built by [`admin_app_on`], with what it needs kept alive.
struct CachedApp {
    state: AppState,
    router: Router,
    _db: TestDb,
    _image_dir: tempfile::TempDir,
}

/// With Redis unreachable (a port nothing listens on), failed logins are counted in this process: the
/// limits still hold, per username and per address, instead of letting every guess through.
async fn failed_logins_are_throttled_while_redis_is_down(backend: Backend) {
    let dead = format!("redis://127.0.0.1:{}", free_port());
    let cache = Cache::redis(&dead).unwrap();
    assert!(cache.ping().await.is_err(), "nothing answers at {dead}");
    let app = admin_app_on(backend, cache).await;
    for name in ["kim", "lee"] {
        accounts::create(
            &app.state.db,
            &Username::parse(name).unwrap(),
            Role::Admin,
            &Password::new(PASSWORD.into()).unwrap(),
        )
        .await
        .unwrap();
    }
    assert_username_throttled(&app.router, "kim", "192.0.2.1").await;
    assert_eq!(login(&app.router, "lee", PASSWORD).await.status, StatusCode::OK);
    assert_address_throttled(&app.router, "lee", "192.0.2.2", "192.0.2.3").await;
}

on_both_backends!(
    a_login_gives_a_bearer_pair_whose_access_token_opens_viewer_routes,
    a_wrong_password_an_unknown_user_and_a_disabled_account_get_the_same_answer,
    expired_and_not_yet_valid_access_tokens_are_refused,
    tokens_signed_with_another_algorithm_or_none_are_refused,
    tokens_with_another_key_audience_issuer_or_type_are_refused,
    an_edited_payload_is_refused,
    a_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working,
    reusing_a_refresh_token_revokes_its_whole_family,
    logout_revokes_the_sign_in,
    a_viewer_reads_but_is_refused_admin_only_routes,
    an_added_admin_only_endpoint_gets_the_claims_and_writes_the_audit_log,
    a_disabled_account_is_shut_out_at_once,
    a_demoted_account_acts_with_its_current_role,
    failed_logins_are_throttled_per_username,
    failed_logins_are_throttled_per_client_address,
    failed_logins_are_throttled_in_redis,
    failed_logins_are_throttled_while_redis_is_down,
);

/// The binary with `args` in `dir`, on the SQLite database `url`, with `stdin` piped in; awaited, its output.
pub(crate) fn junggye_cli(
    dir: &std::path::Path,
    url: &str,
    args: &[&str],
    stdin: &str,
) -> impl Future<Output = std::process::Output> + use<> {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_junggye"));
    command
        .args(args)
        .env_clear()
        .env("DATABASE_URL", url)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let stdin = stdin.to_owned();
    async move {
        let mut child = command.spawn().unwrap();
        use tokio::io::AsyncWriteExt;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.as_bytes()).await.unwrap();
        drop(pipe);
        child.wait_with_output().await.unwrap()
    }
}

/// `junggye admin create` reads the password from stdin, refuses short ones, and the account it makes
/// can sign in.
#[tokio::test]
async fn the_admin_create_command_makes_an_account_that_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = |args: &[&str], stdin: &str| junggye_cli(dir.path(), &url, args, stdin);
    let create = [
        "admin",
        "create",
        "--username",
        "Ops.Kim",
        "--role",
        "admin",
        "--password-stdin",
    ];
    let short = run(&create, "too-short\n").await;
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12"));
    let no_stdin_flag = run(&create[..create.len() - 1], &format!("{PASSWORD}\n")).await;
    assert!(
        !no_stdin_flag.status.success(),
        "no terminal and no --password-stdin: nothing is read"
    );

    let made = run(&create, &format!("{PASSWORD}\n")).await;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("ops.kim"));
    let again = run(&create, &format!("{PASSWORD}\n")).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let db = junggye::db::Db::connect(&junggye::db::DatabaseUrl::new(&url), 2)
        .await
        .unwrap();
    let image_dir = tempfile::tempdir().unwrap();
    let mut config = test_config(image_dir.path());
    config.jwt_secret = Some(SECRET.to_owned().into());
    let state = AppState::from_parts(config, db, Cache::memory(), Nav::default()).unwrap();
    let router = router::router(state);
    let (access, _) = sign_in(&router, "ops.kim").await;
    assert_eq!(me(&router, &access).await.body["role"], "admin");
}

/// Swagger UI reads the document at `/admin/docs`, from files in the binary: nothing is fetched from
/// the internet, and no token is needed to read it.
#[tokio::test]
async fn the_document_is_browsable_at_admin_docs_without_the_internet() {
    let app = admin_app(Backend::Sqlite).await;
    let fetch = |path: &'static str| {
        let router = app.router.clone();
        async move {
            let request = axum::http::Request::get(path).body(Body::empty()).unwrap();
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    let (status, page) = fetch("/admin/docs/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("swagger-ui-bundle.js"), "{page}");
    for attribute in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !page.contains(attribute),
            "an outside resource ({attribute}) in {page}"
        );
    }
    let (status, initializer) = fetch("/admin/docs/swagger-initializer.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(initializer.contains("\"/admin/openapi.json\""), "{initializer}");
    let (status, bundle) = fetch("/admin/docs/swagger-ui-bundle.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(bundle.len() > 100_000, "the bundle is served whole");
}
