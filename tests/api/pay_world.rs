//! A market with Kakao Pay switched on against the fake Kakao Pay, and the steps of a purchase, for the
//! payment-flow and order-skill tests.

#![allow(dead_code)] // Shared by several test modules; not each uses every step.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use junggye::config::PaymentSettings;
use junggye::domain::ids::{MemberId, OrderId, ProductId};
use junggye::orders::{Order, OrderStatus, Payments, store as order_store};
use junggye::products::{Category, ProductStatus};
use junggye::router;
use junggye::state::AppState;
use secrecy::SecretString;
use tower::ServiceExt;

use crate::fake_kakaopay::FakeKakaoPay;
use crate::helpers::{Backend, TestApp, join};
use crate::products::seed_product;

/// The browser of a phone inside KakaoTalk (the buy button is tapped in the chat).
pub const KAKAOTALK_UA: &str = "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36 KAKAOTALK 10.4.5";
/// A desktop browser.
pub const DESKTOP_UA: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
/// The price of products seeded by [`Market::product`].
pub const PRICE: i64 = 15_000;
/// The link-signing key of test markets.
pub const LINK_SECRET: &str = "test-pay-link-secret-0123456789abcdef";

pub struct Market {
    pub app: TestApp,
    pub fake: FakeKakaoPay,
}

/// A page the payment URLs answered.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Market {
    /// A market on `backend` whose Kakao Pay is a fresh fake (1 s timeout), with every block id known.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`start`](Self::start), letting `tweak` change the payment settings.
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut PaymentSettings)) -> Self {
        Self::start_configured(backend, tweak, |_| {}).await
    }

    /// Like [`start_with`](Self::start_with), letting `configure` change the rest of the configuration
    /// too (e.g. set `JWT_SECRET` to switch the admin API on).
    pub async fn start_configured(
        backend: Backend,
        tweak: impl FnOnce(&mut PaymentSettings),
        configure: impl FnOnce(&mut junggye::config::Config),
    ) -> Self {
        let fake = FakeKakaoPay::start().await;
        let mut settings = PaymentSettings {
            kakaopay: fake.settings(),
            link_secret: SecretString::from(LINK_SECRET.to_owned()),
            link_ttl: Duration::from_secs(600),
            hold: Duration::from_secs(900),
            reconcile_every: Duration::from_secs(30),
            auto_confirm_after: Duration::from_secs(7 * 86_400),
        };
        tweak(&mut settings);
        let configure = move |c: &mut junggye::config::Config| {
            c.payments = Some(settings);
            configure(c);
        };
        let app = TestApp::with(backend, configure, router::skill_routes())
            .await
            .with_all_block_ids();
        Self { app, fake }
    }

    pub fn state(&self) -> &AppState {
        &self.app.state
    }

    pub fn payments(&self) -> &Payments {
        self.app.state.payments.as_ref().expect("payments configured")
    }

    /// Joins `user` (named `name`).
    pub async fn member(&self, user: &str, name: &str) -> MemberId {
        join(&self.app, user, name).await;
        member_id(&self.app, user).await
    }

    /// A product on sale by `seller` (who must have joined) at [`PRICE`].
    pub async fn product(&self, seller: &str, name: &str) -> ProductId {
        let id = seed_product(
            &self.app.state.db,
            seller,
            name,
            Category::Digital,
            ProductStatus::OnSale,
        )
        .await;
        ProductId::new(id)
    }

    /// The path of a fresh payment link for `buyer_id` and the product, as the detail view would make it.
    pub async fn link(&self, buyer_id: MemberId, product_id: ProductId) -> String {
        let product = junggye::products::store::get(&self.app.state.db, product_id)
            .await
            .unwrap()
            .expect("product exists");
        let token = self.payments().links().issue(buyer_id, product.id, product.price);
        format!("/pay/{token}")
    }

    /// GETs `path` as a browser with `user_agent`.
    pub async fn browse(&self, path: &str, user_agent: &str) -> Page {
        let request = Request::get(path)
            .header(header::USER_AGENT, user_agent)
            .body(Body::empty())
            .unwrap();
        let response = self.app.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            location,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// Opens a payment link; returns the order it made and its tid (panics unless sent to Kakao Pay).
    pub async fn start_paying(&self, buyer_id: MemberId, product_id: ProductId) -> (Order, String) {
        let link = self.link(buyer_id, product_id).await;
        let page = self.browse(&link, KAKAOTALK_UA).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let location = page.location.expect("redirected");
        let tid = self
            .fake
            .tid_from_redirect(&location)
            .expect("to the fake's page");
        let order = self.order_by_tid(&tid).await;
        (order, tid)
    }

    /// The buyer pays on Kakao's page and the browser follows the approval redirect.
    pub async fn pay_and_return(&self, tid: &str) -> Page {
        let redirect = self.fake.user_pays_redirect(tid);
        self.follow(&redirect).await
    }

    /// GETs one of our URLs that Kakao Pay redirected to (absolute, under PUBLIC_URL).
    pub async fn follow(&self, url: &str) -> Page {
        let base = &self.app.state.config.public_url;
        let path = url
            .strip_prefix(base.as_str())
            .unwrap_or_else(|| panic!("{url} is not under {base}"));
        self.browse(path, KAKAOTALK_UA).await
    }

    /// A whole payment: link, Kakao Pay, approval. Returns the paid order.
    pub async fn buy(&self, buyer_id: MemberId, product_id: ProductId) -> Order {
        let (order, tid) = self.start_paying(buyer_id, product_id).await;
        let page = self.pay_and_return(&tid).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let order = self.order(order.id).await;
        assert_eq!(order.status, OrderStatus::Paid);
        order
    }

    pub async fn order(&self, id: OrderId) -> Order {
        order_store::get(&self.app.state.db, id)
            .await
            .unwrap()
            .expect("order exists")
    }

    pub async fn order_by_tid(&self, tid: &str) -> Order {
        let id: OrderId = junggye::dispatch!(&self.app.state.db, pool => {
            sqlx::query_scalar("SELECT id FROM orders WHERE tid = $1").bind(tid).fetch_one(pool).await.unwrap()
        });
        self.order(id).await
    }

    pub async fn order_count(&self) -> i64 {
        junggye::dispatch!(&self.app.state.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM orders").fetch_one(pool).await.unwrap()
        })
    }

    pub async fn product_status(&self, id: ProductId) -> ProductStatus {
        junggye::products::store::get(&self.app.state.db, id)
            .await
            .unwrap()
            .expect("product exists")
            .status
    }

    /// The approve URL of an order (as Kakao Pay would redirect to it) with `pg_token`.
    pub fn approve_path(order: &Order, pg_token: &str) -> String {
        format!("/pay/approve/{}?pg_token={pg_token}", order.reference)
    }
}

pub async fn member_id(app: &TestApp, user: &str) -> MemberId {
    junggye::members::store::find_active(&app.state.db, user)
        .await
        .unwrap()
        .expect("member")
        .id
}
