//! The admin web console (`/admin/ui`) through the router, as a browser would use it: the sign-in form
//! and its cookie, the session and CSRF checks in front of every change, roles, and the pages doing what
//! the API does (a refund, a notice the chat then shows). The same run in a real browser is
//! `tests/browser/console.mjs`.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use junggye::admin::accounts::Role;
use junggye::admin::audit;
use junggye::orders::OrderStatus;
use junggye::products::{Category, ProductStatus};
use tower::ServiceExt;

use crate::admin_auth::{PASSWORD, SECRET, account, admin_app};
use crate::helpers::{Backend, join, payload};
use crate::on_both_backends;
use crate::pay_world::Market;
use crate::products::seed_product;

/// One page as the browser got it.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    html: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The value of `attribute="…"` on the first element carrying `marker`.
    fn attribute(&self, marker: &str, attribute: &str) -> Option<String> {
        let at = self.html.find(marker)?;
        let start = self.html[..at].rfind('<')?;
        let end = at + self.html[at..].find('>')?;
        let tag = &self.html[start..end];
        let key = format!("{attribute}=\"");
        let from = tag.find(&key)? + key.len();
        Some(tag[from..from + tag[from..].find('"')?].to_owned())
    }

    fn flash(&self) -> Option<(String, String)> {
        let class = self.attribute("id=\"flash\"", "class")?;
        let at = self.html.find("id=\"flash\"")?;
        let text = &self.html[at + self.html[at..].find('>')? + 1..];
        Some((
            class,
            text[..text.find('<').unwrap_or(text.len())].trim().to_owned(),
        ))
    }
}

/// A browser: its cookies for `/admin/ui`, and the CSRF token of the last page it read.
#[derive(Default, Clone)]
struct Browser {
    cookies: Vec<(String, String)>,
    csrf: String,
}

impl Browser {
    async fn request(
        &mut self,
        router: &Router,
        method: Method,
        path: &str,
        form: &[(&str, &str)],
        htmx: bool,
    ) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(header::COOKIE, jar.join("; "));
        }
        if htmx {
            request = request
                .header("hx-request", "true")
                .header("x-csrf-token", &self.csrf);
        }
        let body = if form.is_empty() {
            Body::empty()
        } else {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            Body::from(encoded)
        };
        let response = router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let page = Page {
            status: response.status(),
            headers: response.headers().clone(),
            html: String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec())
                .unwrap(),
        };
        for cookie in page.set_cookies() {
            let (pair, _) = cookie.split_once(';').unwrap_or((cookie, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        if let Some(token) = page.attribute("name=\"csrf-token\"", "content") {
            self.csrf = token;
        }
        page
    }

    async fn get(&mut self, router: &Router, path: &str) -> Page {
        self.request(router, Method::GET, path, &[], false).await
    }

    /// A change as htmx sends it: the form, and the page's CSRF token in its header.
    async fn change(&mut self, router: &Router, path: &str, form: &[(&str, &str)]) -> Page {
        self.request(router, Method::POST, path, form, true).await
    }

    async fn sign_in(router: &Router, username: &str, password: &str) -> (Self, Page) {
        let mut browser = Self::default();
        let form = browser.get(router, "/admin/ui/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let token = form
            .attribute("name=\"form_token\"", "value")
            .expect("the form's token");
        let fields = [
            ("username", username),
            ("password", password),
            ("form_token", token.as_str()),
        ];
        let answer = browser
            .request(router, Method::POST, "/admin/ui/login", &fields, false)
            .await;
        (browser, answer)
    }

    async fn signed_in(router: &Router, username: &str) -> Self {
        let (mut browser, answer) = Self::sign_in(router, username, PASSWORD).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
        assert_eq!(answer.header("location"), "/admin/ui");
        let dashboard = browser.get(router, "/admin/ui").await;
        assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.html);
        browser
    }
}

async fn signing_in_gives_a_protected_cookie_and_every_page_opens(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "boss", Role::Admin).await;
    account(&app, "guest", Role::Viewer).await;
    let r = &app.router;

    let mut stranger = Browser::default();
    let page = stranger.get(r, "/admin/ui/orders").await;
    assert_eq!(
        (page.status, page.header("location")),
        (StatusCode::SEE_OTHER, "/admin/ui/login")
    );
    let page = stranger
        .change(r, "/admin/ui/notices/new", &[("title", "x")])
        .await;
    assert_eq!(
        (page.status, page.header("hx-redirect")),
        (StatusCode::UNAUTHORIZED, "/admin/ui/login")
    );

    let (_, wrong) = Browser::sign_in(r, "boss", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.flash().unwrap().0, "error");
    // A sign-in form posted from elsewhere carries no matching token.
    let fields = [
        ("username", "boss"),
        ("password", PASSWORD),
        ("form_token", "forged"),
    ];
    let forged = Browser::default()
        .request(r, Method::POST, "/admin/ui/login", &fields, false)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        forged
            .set_cookies()
            .iter()
            .all(|c| !c.starts_with("junggye_console="))
    );

    let (_, ok) = Browser::sign_in(r, "boss", PASSWORD).await;
    let session = ok
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("junggye_console="))
        .unwrap();
    for part in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/admin/ui",
        "Max-Age=43200",
    ] {
        assert!(session.contains(part), "{session}");
    }
    let mut boss = Browser::signed_in(r, "boss").await;
    for path in [
        "/admin/ui",
        "/admin/ui/members",
        "/admin/ui/products",
        "/admin/ui/orders",
        "/admin/ui/reports",
        "/admin/ui/reports?status=all",
        "/admin/ui/notices",
        "/admin/ui/notices/new",
        "/admin/ui/deals",
        "/admin/ui/skill-calls",
        "/admin/ui/skill-calls?range=7d",
        "/admin/ui/accounts",
    ] {
        let page = boss.get(r, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
        assert_eq!(page.header("cache-control"), "no-store", "{path}");
        assert!(
            page.header("content-security-policy")
                .contains("script-src 'self'"),
            "{path}"
        );
        assert!(page.html.contains("data-role=\"admin\""), "{path}");
        for outside in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(
                !page.html.contains(outside),
                "{path} loads nothing from elsewhere"
            );
        }
    }
    assert!(
        boss.get(r, "/admin/ui/skill-calls")
            .await
            .html
            .contains("<svg class=\"chart\"")
    );
    let missing = boss.get(r, "/admin/ui/orders/999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let mut guest = Browser::signed_in(r, "guest").await;
    let dashboard = guest.get(r, "/admin/ui").await;
    assert!(dashboard.html.contains("data-role=\"viewer\""));
    assert!(!dashboard.html.contains("href=\"/admin/ui/accounts\""));
    assert_eq!(
        guest.get(r, "/admin/ui/accounts").await.status,
        StatusCode::FORBIDDEN
    );
    let htmx = boss.get(r, "/admin/ui/assets/htmx-2.0.11.min.js").await;
    assert_eq!(htmx.status, StatusCode::OK);
    assert!(htmx.html.starts_with("var htmx="));
}

async fn a_refund_needs_an_admin_the_csrf_token_and_a_confirmation(backend: Backend) {
    let market =
        Market::start_configured(backend, |_| {}, |c| c.jwt_secret = Some(SECRET.to_owned().into())).await;
    let app = &market.app;
    account(app, "boss", Role::Admin).await;
    account(app, "guest", Role::Viewer).await;
    market.member("u-seller", "판매자").await;
    let buyer = market.member("u-buyer", "구매자").await;
    let product = market.product("u-seller", "카메라").await;
    let order = market.buy(buyer, product).await;
    let r = &app.router;
    let path = format!("/admin/ui/orders/{}", order.id);
    let refund = format!("{path}/refund");

    let mut guest = Browser::signed_in(r, "guest").await;
    let seen = guest.get(r, &path).await;
    assert!(seen.html.contains("data-status=\"paid\""));
    assert!(
        !seen.html.contains("id=\"refund\""),
        "a viewer is offered no refund"
    );
    let refused = guest.change(r, &refund, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.flash().unwrap().0, "error");

    let mut boss = Browser::signed_in(r, "boss").await;
    let listed = boss.get(r, "/admin/ui/orders?status=paid").await;
    assert!(listed.html.contains(&format!("data-order-id=\"{}\"", order.id)));
    let offered = boss.get(r, &path).await;
    assert!(offered.html.contains("id=\"refund\""));
    let confirm = boss.get(r, &refund).await;
    assert!(confirm.html.contains("id=\"refund-confirm\"") && confirm.html.contains("refund-confirm-button"));
    // Without the page's token, or with another, nothing happens.
    let mut forger = boss.clone();
    forger.csrf = "forged".into();
    let forged = forger.change(r, &refund, &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.html.contains("CSRF"));
    forger.csrf.clear();
    assert_eq!(forger.change(r, &refund, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);

    let done = boss.change(r, &refund, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert_eq!(done.flash().unwrap().0, "ok");
    assert!(
        done.html.contains("id=\"order-status\" data-status=\"refunded\""),
        "{}",
        done.html
    );
    assert_eq!(market.order(order.id).await.status, OrderStatus::Refunded);
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);
    let again = boss.change(r, &refund, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let log = audit::recent(&app.state.db, None, 50).await.unwrap();
    let entry = log.iter().find(|e| e.action == "order.cancel").expect("audited");
    assert_eq!(entry.username, "boss");
}

async fn a_notice_is_previewed_saved_published_and_shown_in_the_chat(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "boss", Role::Admin).await;
    let r = &app.router;
    let mut boss = Browser::signed_in(r, "boss").await;

    let short = boss
        .change(
            r,
            "/admin/ui/notices/preview",
            &[("kind", "text"), ("title", "연휴 배송 안내"), ("body", "늦어요")],
        )
        .await;
    assert!(
        short.html.contains("class=\"card-title\">연휴 배송 안내<")
            && short.html.contains("<p class=\"card-body\">늦어요")
    );
    let long_body = "가".repeat(401);
    let long = boss
        .change(
            r,
            "/admin/ui/notices/preview",
            &[("kind", "text"), ("title", "긴 공지"), ("body", &long_body)],
        )
        .await;
    assert!(
        long.html.contains("class=\"bubble card-body\""),
        "a body too long for the card follows it"
    );
    let bad = boss
        .change(
            r,
            "/admin/ui/notices/preview",
            &[("kind", "text"), ("title", ""), ("body", "x")],
        )
        .await;
    assert!(bad.html.contains("class=\"problems\"") && bad.html.contains("공지 제목을 입력해 주세요"));
    let refused = boss
        .change(
            r,
            "/admin/ui/notices/new",
            &[("kind", "image"), ("title", "사진"), ("body", "본문")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("value=\"사진\""),
        "the fields stay as typed"
    );

    let fields = [
        ("kind", "text"),
        ("title", "연휴 배송 안내"),
        ("body", "연휴에는 배송이 늦어요."),
        ("link_label", "자세히"),
        ("link_url", "https://example.com/holiday"),
    ];
    let saved = boss.change(r, "/admin/ui/notices/new", &fields).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.html);
    let pushed = saved.header("hx-push-url").to_owned();
    let id = pushed.strip_prefix("/admin/ui/notices/").unwrap().to_owned();
    assert!(saved.html.contains("id=\"notice-status\" data-status=\"hidden\""));
    let chat = app.skill("/skill/notices", &payload("reader").build()).await;
    assert!(!chat.text().contains("연휴 배송 안내"), "hidden until published");

    let published = boss
        .change(
            r,
            &format!("/admin/ui/notices/{id}/status"),
            &[("status", "published")],
        )
        .await;
    assert_eq!(published.flash().unwrap().0, "ok", "{}", published.html);
    assert!(published.html.contains("data-status=\"published\""));
    let chat = app.skill("/skill/notices", &payload("reader").build()).await;
    assert!(chat.text().contains("연휴 배송 안내"), "{}", chat.text());
    let log = audit::recent(&app.state.db, None, 50).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "notice.status" && e.username == "boss")
    );
}

async fn disabling_an_account_or_signing_out_ends_its_console_sessions(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "boss", Role::Admin).await;
    let guest_id = account(&app, "guest", Role::Viewer).await.id;
    let r = &app.router;
    let mut boss = Browser::signed_in(r, "boss").await;
    let mut guest = Browser::signed_in(r, "guest").await;

    let done = boss
        .change(r, &format!("/admin/ui/accounts/{guest_id}/disable"), &[])
        .await;
    assert_eq!(done.flash().unwrap().0, "ok", "{}", done.html);
    let shut = guest.get(r, "/admin/ui").await;
    assert_eq!(
        (shut.status, shut.header("location")),
        (StatusCode::SEE_OTHER, "/admin/ui/login")
    );
    let (_, refused) = Browser::sign_in(r, "guest", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    // The last admin stays one.
    let boss_id = junggye::admin::accounts::list(&app.state.db).await.unwrap()[0].id;
    let kept = boss
        .change(
            r,
            &format!("/admin/ui/accounts/{boss_id}/role"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.html);

    let cookie_before = boss.clone();
    let out = boss.change(r, "/admin/ui/logout", &[]).await;
    // A 200 that htmx turns into a navigation (a 3xx would be followed inside the swap).
    assert_eq!(
        (out.status, out.header("hx-redirect")),
        (StatusCode::OK, "/admin/ui/login")
    );
    assert!(
        boss.cookies.iter().all(|(k, _)| k != "junggye_console"),
        "the cookie is cleared"
    );
    let mut replay = cookie_before;
    assert_eq!(
        replay.get(r, "/admin/ui").await.status,
        StatusCode::SEE_OTHER,
        "the old cookie is dead"
    );
}

/// The report queue: a viewer sees it without buttons; an admin's decision needs the CSRF token, holds or
/// releases products as the API does, and the member page lifts a suspension.
async fn reports_are_decided_from_the_queue(backend: Backend) {
    use junggye::reports::Reason;
    use junggye::reports::store::{self as reports, Target};

    let app = admin_app(backend).await;
    let r = &app.router;
    account(&app, "boss", Role::Admin).await;
    account(&app, "guest", Role::Viewer).await;
    join(&app, "u-seller", "판매자").await;
    join(&app, "u-a", "가나다").await;
    let seller = crate::pay_world::member_id(&app, "u-seller").await;
    let reporter = crate::pay_world::member_id(&app, "u-a").await;
    let mut ids = Vec::new();
    for name in ["의자", "책상"] {
        let product = junggye::domain::ids::ProductId::new(
            seed_product(
                &app.state.db,
                "u-seller",
                name,
                Category::Etc,
                ProductStatus::OnSale,
            )
            .await,
        );
        reports::file(
            &app.state.db,
            &app.state.catalog,
            reporter,
            Target::Product(product),
            Reason::Fraud,
            1,
        )
        .await
        .unwrap();
        ids.push(product);
    }
    let status = |id: junggye::domain::ids::ProductId| {
        let db = app.state.db.clone();
        async move {
            let (status, held): (String, Option<String>) = junggye::dispatch!(&db, pool => {
                sqlx::query_as("SELECT status, held_by FROM products WHERE id = $1")
                    .bind(id)
                    .fetch_one(pool)
                    .await
                    .unwrap()
            });
            (status, held)
        }
    };
    assert_eq!(
        status(ids[0]).await,
        ("hidden".to_owned(), Some("reports".to_owned()))
    );

    let mut guest = Browser::signed_in(r, "guest").await;
    let seen = guest.get(r, "/admin/ui/reports").await;
    assert!(
        seen.html.contains("의자") && seen.html.contains("신고로 목록에서 내림"),
        "{}",
        seen.html
    );
    assert!(!seen.html.contains("data-decision"), "a viewer gets no buttons");

    let mut boss = Browser::signed_in(r, "boss").await;
    let queue = boss.get(r, "/admin/ui/reports").await;
    assert!(queue.html.contains("data-decision=\"suspend_member\""));
    let first: i64 = queue
        .attribute("data-report-id=", "data-report-id")
        .unwrap()
        .parse()
        .unwrap();
    let path = format!("/admin/ui/reports/{first}/decision");
    let mut forged = boss.clone();
    forged.csrf = "forged".into();
    assert_eq!(
        forged.change(r, &path, &[("decision", "dismiss")]).await.status,
        StatusCode::FORBIDDEN
    );
    let dismissed = boss.change(r, &path, &[("decision", "dismiss")]).await;
    assert_eq!(dismissed.flash().unwrap().0, "ok", "{}", dismissed.html);
    assert_eq!(status(ids[0]).await, ("on_sale".to_owned(), None));

    let second: i64 = dismissed
        .attribute("data-report-id=", "data-report-id")
        .unwrap()
        .parse()
        .unwrap();
    let suspended = boss
        .change(
            r,
            &format!("/admin/ui/reports/{second}/decision"),
            &[("decision", "suspend_member")],
        )
        .await;
    assert!(
        suspended
            .flash()
            .unwrap()
            .1
            .contains("판매자님의 이용을 제한했습니다"),
        "{}",
        suspended.html
    );
    assert_eq!(
        status(ids[0]).await,
        ("hidden".to_owned(), Some("suspension".to_owned()))
    );
    let member = boss.get(r, &format!("/admin/ui/members/{}", seller.get())).await;
    assert!(member.html.contains("id=\"member-suspended\""));
    let lifted = boss
        .change(r, &format!("/admin/ui/members/{}/unsuspend", seller.get()), &[])
        .await;
    assert_eq!(lifted.flash().unwrap().0, "ok", "{}", lifted.html);
    assert_eq!(status(ids[0]).await, ("on_sale".to_owned(), None));
    assert_eq!(status(ids[1]).await, ("on_sale".to_owned(), None));
}

on_both_backends!(
    signing_in_gives_a_protected_cookie_and_every_page_opens,
    a_refund_needs_an_admin_the_csrf_token_and_a_confirmation,
    a_notice_is_previewed_saved_published_and_shown_in_the_chat,
    disabling_an_account_or_signing_out_ends_its_console_sessions,
    reports_are_decided_from_the_queue,
);
