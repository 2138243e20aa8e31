//! Hot deals end to end: the shipped boards' layouts served by a fake deal site (a real HTTP server on
//! 127.0.0.1), read by the real fetcher and refresher into the real Redis (or the in-process cache), and
//! shown by `POST /skill/deals`. The site's answers are scripted per path: pages, 429s, slow pages, 500s,
//! 403s and challenge pages, changed layouts. Every test uses its own key prefix, so tests sharing the Redis
//! never see each other. A local TLS board shows the reader negotiates HTTP/2; the shipped sources are also
//! checked against the real captured pages in `../shared/reference/real-pages` (see
//! [`the_shipped_sources_read_the_real_captured_pages`]), and `junggye deals try` is run as a process.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use junggye::cache::Cache;
use junggye::deal_sources::Politeness;
use junggye::deals::breaker::BreakerPolicy;
use junggye::deals::fetch::FetchPolicy;
use junggye::deals::{
    DealSettings, DealSource, Deals, DealsOptions, FailureKind, RefreshOutcome, SkipReason, read_list,
    shipped_sources,
};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{Backend, Reply, TestApp, payload};

const QUASAR_LIST: &str = include_str!("../fixtures/deals/quasarzone_list.html");
const QUASAR_DETAIL: &str = include_str!("../fixtures/deals/quasarzone_detail.html");
const RULIWEB_LIST: &str = include_str!("../fixtures/deals/ruliweb_list.html");
const RULIWEB_DETAIL: &str = include_str!("../fixtures/deals/ruliweb_detail.html");
const RULIWEB_RSS: &str = include_str!("../fixtures/deals/ruliweb_rss.xml");
const CHANGED: &str = include_str!("../fixtures/deals/changed_layout.html");

pub(crate) const Q_LIST: &str = "/q/list";
pub(crate) const R_LIST: &str = "/r/list";
/// Links of the quasarzone fixture, on the fake site's host (see [`FakeSite::quasar_list`]).
const Q_DETAILS: [&str; 5] = [
    "/bbs/qb_saleinfo/views/1571001",
    "/bbs/qb_saleinfo/views/1571003",
    "/bbs/qb_saleinfo/views/1571005",
    "/bbs/qb_saleinfo/views/1571006",
    "/bbs/qb_saleinfo/views/1571009",
];
/// Links of the ruliweb fixture on the fake site's host: root-relative, the cut title's post (see
/// [`FakeSite::ruliweb_list`]), and path-relative (`1020/read/…` is resolved against `/r/list`).
const R_DETAILS: [&str; 3] = [
    "/market/board/1020/read/101207",
    "/market/board/1020/read/101206",
    "/r/1020/read/101202",
];
/// The ruliweb post whose title the list cuts.
const R_CUT: &str = "https://bbs.ruliweb.com/market/board/1020/read/101206";
const DEALS: &str = "/skill/deals";

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

// ---------------------------------------------------------------------------------------------
// The fake deal site.

/// One scripted answer.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    body: String,
    delay: Duration,
    retry_after: Option<&'static str>,
    header: Option<(&'static str, &'static str)>,
}

impl Answer {
    fn page(body: &str) -> Self {
        Self {
            status: 200,
            body: body.to_owned(),
            delay: Duration::ZERO,
            retry_after: None,
            header: None,
        }
    }

    fn status(status: u16) -> Self {
        Self {
            status,
            ..Self::page("<html><body>error</body></html>")
        }
    }

    fn too_many(retry_after: &'static str) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::status(429)
        }
    }

    fn with_header(self, name: &'static str, value: &'static str) -> Self {
        Self {
            header: Some((name, value)),
            ..self
        }
    }

    fn slow(body: &str, delay: Duration) -> Self {
        Self {
            delay,
            ..Self::page(body)
        }
    }
}

#[derive(Default)]
struct Script {
    /// Answers per path, in order; the last one repeats.
    answers: Mutex<HashMap<String, VecDeque<Answer>>>,
    hits: Mutex<HashMap<String, usize>>,
}

pub(crate) struct FakeSite {
    addr: SocketAddr,
    script: Arc<Script>,
}

impl FakeSite {
    async fn start() -> Self {
        let script = Arc::new(Script::default());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = axum::Router::new().fallback(answer).with_state(script.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { addr, script }
    }

    /// A site serving both boards' list and deal pages.
    pub(crate) async fn with_both_boards() -> Self {
        let site = Self::start().await;
        site.script(Q_LIST, vec![Answer::page(&site.quasar_list())]);
        site.script(R_LIST, vec![Answer::page(&site.ruliweb_list())]);
        for path in Q_DETAILS {
            site.script(path, vec![Answer::page(QUASAR_DETAIL)]);
        }
        for path in R_DETAILS {
            site.script(path, vec![Answer::page(RULIWEB_DETAIL)]);
        }
        site
    }

    fn script(&self, path: &str, answers: Vec<Answer>) {
        let mut all = self.script.answers.lock().unwrap();
        all.insert(path.to_owned(), answers.into());
    }

    pub(crate) fn hits(&self, path: &str) -> usize {
        self.script.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The quasarzone fixture with its absolute links on this site, as they are on the real board's own
    /// host: the same post linked twice (root-relative and absolute) is then one deal.
    fn quasar_list(&self) -> String {
        QUASAR_LIST.replace("https://quasarzone.com", &self.url(""))
    }

    /// The ruliweb fixture with its cut title's post on this site; the other absolute links stay on the
    /// real board's host, so they are not read.
    fn ruliweb_list(&self) -> String {
        RULIWEB_LIST.replace(R_CUT, &self.url("/market/board/1020/read/101206"))
    }
}

async fn answer(State(script): State<Arc<Script>>, uri: Uri) -> Response {
    let path = uri.path().to_owned();
    *script.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let answer = {
        let mut all = script.answers.lock().unwrap();
        match all.get_mut(&path) {
            Some(queue) if queue.len() > 1 => queue.pop_front(),
            Some(queue) => queue.front().cloned(),
            None => None,
        }
    };
    let Some(answer) = answer else {
        return StatusCode::NOT_FOUND.into_response();
    };
    tokio::time::sleep(answer.delay).await;
    let mut response = (
        StatusCode::from_u16(answer.status).unwrap(),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        answer.body,
    )
        .into_response();
    if let Some(wait) = answer.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, wait.parse().unwrap());
    }
    if let Some((name, value)) = answer.header {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Deals pointed at the fake site.

/// The shipped quasarzone and ruliweb sources with their list URLs on the fake site and quick timings.
fn sources(site: &FakeSite) -> Vec<DealSource> {
    shipped_sources()
        .unwrap()
        .into_iter()
        .filter_map(|mut source| {
            let path = match source.key.as_str() {
                "quasarzone" => Q_LIST,
                "ruliweb" => R_LIST,
                _ => return None,
            };
            source.list_url = format!("{}?page={{page}}", site.url(path));
            source.politeness.min_delay_ms = 5;
            source.politeness.timeout_ms = 1_000;
            source.politeness.max_pages = 1;
            Some(source)
        })
        .collect()
}

fn options() -> DealsOptions {
    DealsOptions {
        key_prefix: format!("test:{}:", uuid::Uuid::new_v4().simple()),
        fetch: FetchPolicy {
            retries: 2,
            backoff: Duration::from_millis(20),
            retry_after_cap: Duration::from_secs(2),
            max_body_bytes: 1024 * 1024,
            connect_timeout: Duration::from_secs(1),
        },
        breaker: BreakerPolicy {
            threshold: 2,
            base: Duration::from_secs(60),
            max: Duration::from_secs(600),
        },
        sync_every: Duration::from_millis(100),
        cold_wait: Duration::from_millis(250),
        trigger_gap: Duration::from_secs(60),
        lock_ttl: Duration::from_secs(20),
    }
}

fn deals_with(cache: Cache, sources: Vec<DealSource>, options: DealsOptions) -> Deals {
    let settings = DealSettings {
        enabled: true,
        sources_file: None,
        sources,
        user_agent: "junggye-test".into(),
    };
    Deals::new(&settings, "http://127.0.0.1:8080", cache, options).unwrap()
}

fn deals(site: &FakeSite) -> Deals {
    deals_with(Cache::memory(), sources(site), options())
}

/// An app (SQLite, every block id known so quick replies carry `extra`) whose deals are `deals`.
async fn app_with(deals: Deals) -> TestApp {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.state.deals = deals;
    app.with_all_block_ids()
}

async fn ask(app: &TestApp, extra: &[(&str, &str)]) -> Reply {
    let payload = extra
        .iter()
        .fold(payload("deal-reader"), |p, (key, value)| p.extra(key, value));
    app.skill(DEALS, &payload.build()).await
}

/// The cards of the answer's carousel (none when it has no carousel).
fn cards(reply: &Reply) -> Vec<Value> {
    reply.0["template"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|o| o["carousel"]["items"].as_array().cloned())
        .unwrap_or_default()
}

fn card_links(reply: &Reply) -> Vec<String> {
    cards(reply)
        .iter()
        .map(|c| c["buttons"][0]["webLinkUrl"].as_str().unwrap().to_owned())
        .collect()
}

fn quick_reply<'a>(reply: &'a Reply, label: &str) -> Option<&'a Value> {
    reply.0["template"]["quickReplies"]
        .as_array()?
        .iter()
        .find(|q| q["label"] == label)
}

async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn refreshed(outcome: &RefreshOutcome) -> bool {
    matches!(outcome, RefreshOutcome::Refreshed { .. })
}

// ---------------------------------------------------------------------------------------------
// Reading the shipped boards.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_shipped_boards_are_read_with_links_to_each_post_and_its_shop() {
    let site = FakeSite::with_both_boards().await;
    let deals = deals(&site);
    let refreshed = [("source", "quasarzone"), ("result", "refreshed")];
    let before = crate::metrics::sample("junggye_deal_refreshes_total", &refreshed);
    let outcomes = deals.refresh_now(None).await.unwrap();
    assert!(crate::metrics::sample("junggye_deal_refreshes_total", &refreshed) >= before + 1.0);
    assert_eq!(
        outcomes,
        [
            ("quasarzone".to_owned(), RefreshOutcome::Refreshed { deals: 5 }),
            ("ruliweb".to_owned(), RefreshOutcome::Refreshed { deals: 7 }),
        ]
    );
    let app = app_with(deals.clone()).await;
    let reply = ask(&app, &[]).await;
    let cards = cards(&reply);
    // The boards take turns; titles without comment counts; a page mixing `$79.99` and `가격다양` with
    // won prices is basic cards, and 루리웹's prices come from its titles.
    let titles: Vec<&str> = cards.iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "[11번가] 삼성전자 990 PRO 2TB NVMe SSD",
            "[쿠팡] 오뚜기 진라면 순한맛 120g 20봉 (13,520원/무료)",
            "[아마존] Logitech MX Master 3S 마우스",
            "[반다이몰] HG 건담 에어리얼 재판 / 21,600원",
            "[G마켓] 농심 신라면 40봉 (가격 다양)",
        ]
    );
    let prices: Vec<&str> = cards
        .iter()
        .map(|c| c["description"].as_str().unwrap().split('\n').next().unwrap())
        .collect();
    assert_eq!(
        prices,
        ["189,000원", "13,520원", "$79.99", "21,600원", "가격다양"]
    );
    // Relative links resolve on the board's host; absolute ones stay as written.
    assert_eq!(
        card_links(&reply),
        [
            site.url("/bbs/qb_saleinfo/views/1571001"),
            "https://bbs.ruliweb.com/market/board/1020/read/101209".to_owned(),
            site.url("/bbs/qb_saleinfo/views/1571003"),
            site.url("/market/board/1020/read/101207"),
            site.url("/bbs/qb_saleinfo/views/1571005"),
        ]
    );
    // The shop's page, from each post's own page: 퀘이사존's goToLink('<base64>') and 루리웹's link.php
    // redirector unwrapped.
    assert_eq!(cards[0]["buttons"][1]["label"], "구매하러가기");
    assert_eq!(
        cards[0]["buttons"][1]["webLinkUrl"],
        "https://www.11st.co.kr/products/7712345678"
    );
    assert_eq!(
        cards[3]["buttons"][1]["webLinkUrl"],
        "https://store.nintendo.co.kr/bundle/mario-kart-world?utm_source=ruliweb&ref=hotdeal"
    );
    // A post on another host is not fetched, so only its own link is offered.
    assert_eq!(cards[1]["buttons"].as_array().unwrap().len(), 1);
    assert!(reply.contains("11번가"), "the brand from the deal's page");
    // The list cut this title at `612...`; the post has it whole (the card caps it at Kakao's limit).
    let whole = "[예판] 닌텐도 스위치 2 본체 + 마리오 카트 월드 번들 한정판 612,000원 (무료";
    let cut = |reply: &Reply| self::cards(reply)[0].clone();
    let card = cut(&ask(&app, &[("cursor", "5")]).await);
    assert!(card["title"].as_str().unwrap().starts_with(whole), "{card}");
    assert!(card["description"].as_str().unwrap().starts_with("612,000원\n"));

    // A second refresh reads the lists again but reuses what the deal pages said.
    deals.refresh_now(None).await.unwrap();
    assert_eq!(site.hits(Q_LIST), 2);
    assert_eq!(site.hits(Q_DETAILS[0]), 1);
    assert_eq!(site.hits(R_DETAILS[1]), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let card = cut(&ask(&app, &[("cursor", "5")]).await);
    assert!(card["title"].as_str().unwrap().starts_with(whole), "{card}");
    let health = deals.health().await;
    assert_eq!(health.len(), 2);
    assert!(
        health
            .iter()
            .all(|h| h.health.last_success_ms.is_some() && h.health.last_error.is_none())
    );
    assert_eq!(
        health.iter().map(|h| h.health.item_count).collect::<Vec<_>>(),
        [5, 7]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_the_cursor_and_more_appears_only_before_the_last_page() {
    let site = FakeSite::with_both_boards().await;
    let deals = deals(&site);
    deals.refresh_now(None).await.unwrap();
    let app = app_with(deals).await;

    let first = ask(&app, &[]).await;
    assert_eq!(cards(&first).len(), 5);
    let more = quick_reply(&first, "더보기").expect("a next page");
    assert_eq!(more["action"], "block");
    assert_eq!(more["extra"]["cursor"], "5");
    assert!(more["extra"].get("source").is_none());
    for board in ["퀘이사존 핫딜", "루리웹 핫딜", "처음으로"] {
        assert!(quick_reply(&first, board).is_some(), "{board}");
    }

    let second = ask(&app, &[("cursor", "5")]).await;
    assert_eq!(cards(&second).len(), 5);
    assert_eq!(
        quick_reply(&second, "더보기").expect("a third page")["extra"]["cursor"],
        "10"
    );
    let third = ask(&app, &[("cursor", "10")]).await;
    assert_eq!(cards(&third).len(), 2);
    assert!(quick_reply(&third, "더보기").is_none());
    let mut seen: Vec<String> = card_links(&first);
    seen.extend(card_links(&second));
    seen.extend(card_links(&third));
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 12, "every deal once: {seen:?}");

    let past = ask(&app, &[("cursor", "12")]).await;
    assert!(past.contains("더 볼 핫딜이 없어요"), "{}", past.text());
    assert!(quick_reply(&past, "처음부터").is_some());
    let junk = ask(&app, &[("cursor", "-3")]).await;
    assert_eq!(
        card_links(&junk),
        card_links(&first),
        "a cursor we did not write starts over"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_filter_shows_one_board_and_carries_through_more() {
    let site = FakeSite::with_both_boards().await;
    let deals = deals(&site);
    deals.refresh_now(None).await.unwrap();
    let app = app_with(deals).await;

    let ruliweb = ask(&app, &[("source", "ruliweb")]).await;
    let links = card_links(&ruliweb);
    assert_eq!(links.len(), 5);
    assert!(links.iter().all(|l| l.contains("/read/")), "{links:?}");
    assert!(quick_reply(&ruliweb, "전체 핫딜").is_some());
    let more = quick_reply(&ruliweb, "더보기").expect("seven deals: a second page");
    assert_eq!(more["extra"]["source"], "ruliweb");
    let rest = ask(&app, &[("source", "ruliweb"), ("cursor", "5")]).await;
    assert_eq!(card_links(&rest).len(), 2);

    let quasar = ask(&app, &[("source", "quasarzone")]).await;
    assert_eq!(card_links(&quasar).len(), 5);
    assert!(card_links(&quasar).iter().all(|l| l.contains("qb_saleinfo")));

    // An unknown board shows every board rather than nothing.
    let unknown = ask(&app, &[("source", "example_board")]).await;
    assert_eq!(card_links(&unknown), card_links(&ask(&app, &[]).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_deals_are_not_shown_even_from_a_snapshot_that_kept_them() {
    let site = FakeSite::with_both_boards().await;
    let cache = Cache::memory();
    let options = options();
    // An instance whose quasarzone source lacks the `종료` rule writes a snapshot with the ended deal …
    let mut lax = sources(&site);
    lax[0].skip_labels.clear();
    let writer = deals_with(cache.clone(), lax, options.clone());
    assert_eq!(
        writer.refresh_now(Some("quasarzone")).await.unwrap()[0].1,
        RefreshOutcome::Refreshed { deals: 7 }
    );
    // … and an instance with the shipped rule, reading the same cache, does not show it.
    let reader = app_with(deals_with(cache, sources(&site), options)).await;
    let mut texts = String::new();
    for cursor in ["0", "5"] {
        texts.push_str(
            &ask(&reader, &[("source", "quasarzone"), ("cursor", cursor)])
                .await
                .text(),
        );
    }
    assert!(texts.contains("삼다수"), "{texts}");
    assert!(!texts.contains("종료된 딜"), "{texts}");
    assert!(
        !texts.contains("끝난 딜"),
        "the 종료 after 인기 counts too: {texts}"
    );
}

#[tokio::test]
async fn hot_deals_switched_off_say_so() {
    let app = TestApp::new(Backend::Sqlite).await;
    let reply = app.skill(DEALS, &payload("u1").build()).await;
    assert!(reply.contains("지금은 핫딜을 볼 수 없어요"), "{}", reply.text());
}

#[tokio::test]
async fn switched_off_no_board_is_read_even_when_an_operator_asks() {
    let site = FakeSite::with_both_boards().await;
    let settings = DealSettings {
        enabled: false,
        sources_file: None,
        sources: sources(&site),
        user_agent: "junggye-test".into(),
    };
    let deals = Deals::new(&settings, "http://127.0.0.1:8080", Cache::memory(), options()).unwrap();
    let outcomes = deals.refresh_now(None).await.unwrap();
    assert!(
        outcomes.iter().all(|(_, o)| *o == RefreshOutcome::Disabled),
        "{outcomes:?}"
    );
    assert!(deals.spawn_refreshers().is_empty());
    assert_eq!(site.hits(Q_LIST), 0);
}

// ---------------------------------------------------------------------------------------------
// A board that misbehaves.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_a_short_retry_after_is_waited_out_then_read() {
    let site = FakeSite::with_both_boards().await;
    site.script(Q_LIST, vec![Answer::too_many("1"), Answer::page(QUASAR_LIST)]);
    let deals = deals(&site);
    let started = Instant::now();
    let outcome = deals.refresh_due("quasarzone").await.unwrap();
    assert!(refreshed(&outcome), "{outcome:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(site.hits(Q_LIST), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_asking_for_longer_than_the_cap_leaves_the_board_alone_that_long() {
    let site = FakeSite::with_both_boards().await;
    site.script(Q_LIST, vec![Answer::too_many("3600")]);
    let deals = deals(&site);
    let started = Instant::now();
    let outcome = deals.refresh_due("quasarzone").await.unwrap();
    assert!(
        matches!(&outcome, RefreshOutcome::Failed(e) if e.contains("429")),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "not waited out");
    let again = deals.refresh_due("quasarzone").await.unwrap();
    match again {
        RefreshOutcome::BreakerOpen { retry_in } => assert!(retry_in > Duration::from_secs(3_500)),
        other => panic!("{other:?}"),
    }
    assert_eq!(site.hits(Q_LIST), 1);
    assert!(
        refreshed(&deals.refresh_due("ruliweb").await.unwrap()),
        "other boards are read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_page_times_out_is_retried_and_the_skill_still_answers_at_once() {
    let site = FakeSite::with_both_boards().await;
    site.script(Q_LIST, vec![Answer::slow(QUASAR_LIST, Duration::from_secs(3))]);
    let mut slow = sources(&site);
    slow[0].politeness.timeout_ms = 200;
    let deals = deals_with(Cache::memory(), slow, options());
    let app = app_with(deals.clone()).await;

    let started = Instant::now();
    let outcome = deals.refresh_due("quasarzone").await.unwrap();
    assert!(
        matches!(&outcome, RefreshOutcome::Failed(e) if e.contains("timed out")),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(site.hits(Q_LIST), 3, "the first try and two retries");
    let health = deals.health().await;
    assert_eq!(health[0].health.consecutive_failures, 1);
    assert!(
        health[0]
            .health
            .last_error
            .as_deref()
            .unwrap()
            .contains("timed out")
    );

    // The other board is read, and the skill answers with it at once, noting the missing one.
    assert!(refreshed(&deals.refresh_due("ruliweb").await.unwrap()));
    let started = Instant::now();
    let reply = ask(&app, &[]).await;
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(cards(&reply).len(), 5);
    assert!(
        reply.contains("일부 게시판은 지금 읽지 못하고 있어요"),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_retried_then_opens_that_boards_breaker_only() {
    let site = FakeSite::with_both_boards().await;
    site.script(Q_LIST, vec![Answer::status(500)]);
    let deals = deals(&site);
    for round in 1..=2 {
        let outcome = deals.refresh_due("quasarzone").await.unwrap();
        assert!(
            matches!(&outcome, RefreshOutcome::Failed(e) if e.contains("HTTP 500")),
            "{outcome:?}"
        );
        assert_eq!(site.hits(Q_LIST), 3 * round, "the first try and two retries");
    }
    // Two failures in a row open the breaker: the board is left alone.
    let outcome = deals.refresh_due("quasarzone").await.unwrap();
    assert!(
        matches!(outcome, RefreshOutcome::BreakerOpen { .. }),
        "{outcome:?}"
    );
    assert_eq!(site.hits(Q_LIST), 6);
    let health = deals.health().await;
    assert_eq!(health[0].health.consecutive_failures, 2);
    assert!(health[0].breaker_open_for.is_some());
    assert!(refreshed(&deals.refresh_due("ruliweb").await.unwrap()));
    assert!(health[1].breaker_open_for.is_none());
    // An operator's refresh goes through the open breaker.
    site.script(Q_LIST, vec![Answer::page(QUASAR_LIST)]);
    let forced = deals.refresh_now(Some("quasarzone")).await.unwrap();
    assert!(refreshed(&forced[0].1), "{forced:?}");
    assert_eq!(deals.health().await[0].health.consecutive_failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_over_the_size_cap_is_refused_without_retrying() {
    let site = FakeSite::with_both_boards().await;
    let mut small = options();
    small.fetch.max_body_bytes = 4 * 1024;
    let deals = deals_with(Cache::memory(), sources(&site), small);
    let outcome = deals.refresh_due("quasarzone").await.unwrap();
    assert!(
        matches!(&outcome, RefreshOutcome::Failed(e) if e.contains("larger than 4096 bytes")),
        "{outcome:?}"
    );
    assert_eq!(site.hits(Q_LIST), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_layout_keeps_the_previous_deals_and_shows_in_the_health() {
    let site = FakeSite::with_both_boards().await;
    let deals = deals(&site);
    let app = app_with(deals.clone()).await;
    deals.refresh_now(Some("quasarzone")).await.unwrap();
    let before = card_links(&ask(&app, &[("source", "quasarzone")]).await);

    site.script(Q_LIST, vec![Answer::page(CHANGED)]);
    let outcome = &deals.refresh_now(Some("quasarzone")).await.unwrap()[0].1;
    assert!(
        matches!(outcome, RefreshOutcome::Failed(e) if e.contains("layout changed")),
        "{outcome:?}"
    );
    assert_eq!(card_links(&ask(&app, &[("source", "quasarzone")]).await), before);
    let health = &deals.health().await[0].health;
    assert!(
        health
            .last_error
            .as_deref()
            .unwrap()
            .contains("row selector matches nothing")
    );
    assert!(health.last_success_ms.is_some() && health.last_error_ms >= health.last_success_ms);
    assert_eq!((health.item_count, health.consecutive_failures), (5, 1));
    assert_eq!(health.last_error_kind, Some(FailureKind::LayoutChanged));
}

// ---------------------------------------------------------------------------------------------
// The cache: cold starts, several instances, Redis going away.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_answers_at_once_and_many_calls_start_one_refresh() {
    let site = FakeSite::with_both_boards().await;
    site.script(
        Q_LIST,
        vec![Answer::slow(QUASAR_LIST, Duration::from_millis(1_500))],
    );
    let mut only_quasar = sources(&site);
    only_quasar.truncate(1);
    only_quasar[0].politeness.timeout_ms = 5_000;
    let app = Arc::new(app_with(deals_with(Cache::memory(), only_quasar, options())).await);

    let calls: Vec<JoinHandle<(Duration, Reply)>> = (0..30)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let reply = ask(&app, &[]).await;
                (started.elapsed(), reply)
            })
        })
        .collect();
    for call in calls {
        let (took, reply) = call.await.unwrap();
        assert!(took < Duration::from_millis(1_000), "{took:?}");
        assert!(reply.contains("불러오는 중"), "{}", reply.text());
        assert!(quick_reply(&reply, "다시 보기").is_some());
    }
    eventually("the deals arrive", Duration::from_secs(5), || async {
        !cards(&ask(&app, &[]).await).is_empty()
    })
    .await;
    assert_eq!(site.hits(Q_LIST), 1, "one refresh for all the calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_deals_are_shown_with_their_age_while_a_refresh_runs() {
    let site = FakeSite::with_both_boards().await;
    let mut quick = sources(&site);
    quick.truncate(1);
    quick[0].politeness.refresh_secs = 1;
    let deals = deals_with(Cache::memory(), quick, options());
    let app = app_with(deals.clone()).await;
    deals.refresh_now(None).await.unwrap();
    assert!(!ask(&app, &[]).await.contains("전에 모은"));

    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let stale = ask(&app, &[]).await;
    assert_eq!(cards(&stale).len(), 5, "stale deals are still shown");
    assert!(stale.contains("초 전에 모은 핫딜이에요"), "{}", stale.text());
    eventually("a refresh in the background", Duration::from_secs(5), || async {
        site.hits(Q_LIST) == 2
    })
    .await;
    eventually("fresh deals", Duration::from_secs(5), || async {
        !ask(&app, &[]).await.contains("전에 모은")
    })
    .await;
    assert_eq!(site.hits(Q_LIST), 2, "one refresh, not one per call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_on_one_redis_read_each_board_once() {
    let site = FakeSite::with_both_boards().await;
    site.script(
        Q_LIST,
        vec![Answer::slow(QUASAR_LIST, Duration::from_millis(300))],
    );
    let redis = Cache::redis(&redis_url()).unwrap();
    redis
        .ping()
        .await
        .unwrap_or_else(|e| panic!("Redis at {} is required: {e}", redis_url()));
    let options = options();
    let a = deals_with(redis.clone(), sources(&site), options.clone());
    let b = deals_with(
        Cache::redis(&redis_url()).unwrap(),
        sources(&site),
        options.clone(),
    );

    let (from_a, from_b) = tokio::join!(a.refresh_due("quasarzone"), b.refresh_due("quasarzone"));
    let outcomes = [from_a.unwrap(), from_b.unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| refreshed(o)).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, RefreshOutcome::LockedElsewhere | RefreshOutcome::Fresh)),
        "{outcomes:?}"
    );
    // Later ticks of either find the data fresh.
    assert_eq!(b.refresh_due("quasarzone").await.unwrap(), RefreshOutcome::Fresh);
    assert_eq!(a.refresh_due("quasarzone").await.unwrap(), RefreshOutcome::Fresh);
    assert_eq!(site.hits(Q_LIST), 1);

    // Both serve the deals, whichever read the board.
    for deals in [a, b] {
        let app = app_with(deals).await;
        eventually(
            "the shared snapshot is served",
            Duration::from_secs(3),
            || async { card_links(&ask(&app, &[("source", "quasarzone")]).await).len() == 5 },
        )
        .await;
    }
}

/// A TCP proxy to Redis that can be cut (every connection dropped, new ones refused) and restored.
struct RedisProxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl RedisProxy {
    async fn start() -> Self {
        let target = url::Url::parse(&redis_url()).unwrap();
        let target = format!("{}:{}", target.host_str().unwrap(), target.port().unwrap_or(6379));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (accept_up, accept_connections) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !accept_up.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let connection = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                accept_connections.lock().unwrap().push(connection);
            }
        });
        Self {
            addr,
            up,
            connections,
        }
    }

    fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_skill_keeps_answering_while_redis_is_down_and_catches_up_when_it_returns() {
    let site = FakeSite::with_both_boards().await;
    let proxy = RedisProxy::start().await;
    let options = options();
    let mut only_quasar = sources(&site);
    only_quasar.truncate(1);
    let through_proxy = deals_with(
        Cache::redis(&proxy.url()).unwrap(),
        only_quasar.clone(),
        options.clone(),
    );
    let direct = deals_with(Cache::redis(&redis_url()).unwrap(), only_quasar, options);
    let app = app_with(through_proxy.clone()).await;
    assert!(refreshed(&through_proxy.refresh_now(None).await.unwrap()[0].1));
    assert!(ask(&app, &[]).await.contains("삼다수"));

    proxy.cut();
    for _ in 0..5 {
        let started = Instant::now();
        let reply = ask(&app, &[]).await;
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        assert!(reply.contains("삼다수"), "served from memory: {}", reply.text());
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // Meanwhile another instance reads a newer list into Redis …
    site.script(
        Q_LIST,
        vec![Answer::page(&QUASAR_LIST.replace("삼다수", "백산수"))],
    );
    assert!(refreshed(&direct.refresh_now(None).await.unwrap()[0].1));
    // … which this one serves once Redis is reachable again.
    proxy.restore();
    eventually("the newer deals from Redis", Duration::from_secs(15), || async {
        ask(&app, &[]).await.contains("백산수")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_unreachable_from_the_start_the_skill_answers_and_reads_the_boards_itself() {
    let site = FakeSite::with_both_boards().await;
    // Port 1 on loopback: nothing listens there.
    let deals = deals_with(
        Cache::redis("redis://127.0.0.1:1").unwrap(),
        sources(&site),
        options(),
    );
    let app = app_with(deals.clone()).await;
    let started = Instant::now();
    let first = ask(&app, &[]).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(first.contains("불러오는 중"), "{}", first.text());
    eventually(
        "deals read without the shared cache",
        Duration::from_secs(10),
        || async { cards(&ask(&app, &[]).await).len() == 5 },
    )
    .await;
    assert_eq!(site.hits(Q_LIST), 1);
    assert!(!deals.health().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Boards that refuse us, HTTP/2, feeds.

/// What Cloudflare answers a client it wants to check first.
const CHALLENGE: &str = "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head>\
    <body><script>window._cf_chl_opt={cType: 'managed'};</script></body></html>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_or_a_challenge_page_is_reported_as_blocked_and_backs_off_without_retrying() {
    let site = FakeSite::with_both_boards().await;
    let deals = deals(&site);
    let refusals = [
        (Answer::status(403), "HTTP 403"),
        (Answer::page(CHALLENGE), "challenge page"),
        (
            Answer {
                status: 503,
                ..Answer::page(CHALLENGE)
            },
            "challenge page, HTTP 503",
        ),
        (
            Answer::status(429).with_header("cf-mitigated", "challenge"),
            "HTTP 429",
        ),
    ];
    let mut hits = 0;
    for (answer, why) in refusals {
        site.script(Q_LIST, vec![answer]);
        let outcome = &deals.refresh_now(Some("quasarzone")).await.unwrap()[0].1;
        assert_eq!(
            outcome,
            &RefreshOutcome::Failed(format!("list page: blocked by the site ({why})"))
        );
        hits += 1;
        assert_eq!(site.hits(Q_LIST), hits, "a refusal is not retried ({why})");
        let health = &deals.health().await[0].health;
        assert_eq!(health.last_error_kind, Some(FailureKind::Blocked), "{why}");
        assert!(!health.last_error.as_deref().unwrap().contains("layout"));
    }
    // It counts as a failure: the breaker opens and the scheduled refreshes leave the board alone.
    let outcome = deals.refresh_due("quasarzone").await.unwrap();
    assert!(
        matches!(outcome, RefreshOutcome::BreakerOpen { .. }),
        "{outcome:?}"
    );
    assert_eq!(site.hits(Q_LIST), hits);
}

/// A TLS deal board on 127.0.0.1 offering HTTP/2 and HTTP/1.1 by ALPN, as real boards do; it answers
/// with the protocol and headers it was asked with.
async fn tls_board() -> (SocketAddr, reqwest::Certificate) {
    use http_body_util::Full;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use tokio_rustls::rustls;

    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service =
                    hyper::service::service_fn(|request: hyper::Request<hyper::body::Incoming>| async move {
                        let mut echo = format!("{:?}\n", request.version());
                        for (name, value) in request.headers() {
                            echo.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
                        }
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            bytes::Bytes::from(echo),
                        )))
                    });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, reqwest::Certificate::from_der(&cert).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reader_speaks_http2_with_a_browsers_headers() {
    let (addr, root) = tls_board().await;
    let fetcher =
        junggye::deals::fetch::Fetcher::with_roots("junggye-test", options().fetch, vec![root]).unwrap();
    let list = url::Url::parse(&format!("https://{addr}/bbs/qb_saleinfo?page=1")).unwrap();
    let echo = fetcher.get(&list, &Politeness::default(), None).await.unwrap();
    let mut lines = echo.lines();
    assert_eq!(lines.next(), Some("HTTP/2.0"), "{echo}");
    let headers: Vec<&str> = lines.collect();
    for expected in [
        "user-agent: junggye-test",
        "accept-language: ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7",
        "sec-fetch-mode: navigate",
        "sec-fetch-site: none",
    ] {
        assert!(headers.contains(&expected), "{expected}: {echo}");
    }
    assert!(
        headers.iter().any(|h| h.starts_with("accept: text/html")),
        "{echo}"
    );
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("accept-encoding:") && h.contains("gzip") && h.contains("br")),
        "{echo}"
    );
    // A deal's page is asked for as if followed from the list.
    let post = url::Url::parse(&format!("https://{addr}/bbs/qb_saleinfo/views/1")).unwrap();
    let echo = fetcher
        .get(&post, &Politeness::default(), Some(&list))
        .await
        .unwrap();
    assert!(echo.contains(&format!("referer: {list}")), "{echo}");
    assert!(echo.contains("sec-fetch-site: same-origin"), "{echo}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_source_is_read_and_shown() {
    let site = FakeSite::start().await;
    site.script("/r/rss", vec![Answer::page(RULIWEB_RSS)]);
    let mut feed = shipped_sources()
        .unwrap()
        .into_iter()
        .find(|s| s.key == "ruliweb_rss")
        .unwrap();
    feed.enabled = true;
    feed.list_url = site.url("/r/rss");
    feed.politeness.min_delay_ms = 5;
    let deals = deals_with(Cache::memory(), vec![feed], options());
    assert_eq!(
        deals.refresh_now(None).await.unwrap()[0].1,
        RefreshOutcome::Refreshed { deals: 3 }
    );
    assert_eq!(
        site.hits("/r/rss"),
        1,
        "a feed is one document, whatever max_pages says"
    );
    let reply = ask(&app_with(deals).await, &[]).await;
    let titles: Vec<String> = cards(&reply)
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        titles,
        [
            "[쿠팡] 오뚜기 진라면 순한맛 120g 20봉 (13,520원/무료)",
            "[반다이몰] HG 건담 에어리얼 재판 / 21,600원",
            "[스팀] 엘든 링 60% 할인 ($23.99)",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// The shipped sources against the real boards' markup.

/// Where the real captured pages are: `REAL_PAGES_DIR` (set by `.ci/run` when it finds them; then they
/// must be there), else `../shared/reference/real-pages` beside the checkout when it exists.
fn real_pages() -> Option<std::path::PathBuf> {
    if let Ok(dir) = std::env::var("REAL_PAGES_DIR") {
        let dir = std::path::PathBuf::from(dir);
        assert!(dir.is_dir(), "REAL_PAGES_DIR {} is not a folder", dir.display());
        return Some(dir);
    }
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/real-pages");
    beside.is_dir().then_some(beside)
}

#[test]
fn the_shipped_sources_read_the_real_captured_pages() {
    let Some(dir) = real_pages() else {
        eprintln!("no real captured pages beside the checkout; REAL_PAGES_DIR names them in CI");
        return;
    };
    let ruliweb = shipped_sources()
        .unwrap()
        .into_iter()
        .find(|s| s.key == "ruliweb")
        .unwrap();
    let mut captures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("ruliweb_list_") && name.ends_with(".html")
        })
        .collect();
    captures.sort();
    assert!(
        !captures.is_empty(),
        "no ruliweb_list_*.html in {}",
        dir.display()
    );
    for capture in captures {
        let html = std::fs::read_to_string(&capture).unwrap();
        let name = capture.file_name().unwrap().to_string_lossy().into_owned();
        let report = read_list(
            &ruliweb,
            &html,
            "https://bbs.ruliweb.com/market/board/1020?page=1",
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let with_count: Vec<&str> = report
            .deals
            .iter()
            .map(|d| d.title.as_str())
            .filter(|t| {
                let inner = t
                    .strip_suffix(')')
                    .and_then(|t| t.rsplit_once('('))
                    .map(|(_, n)| n);
                inner.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .collect();
        assert!(
            with_count.is_empty(),
            "{name}: comment counts left in {with_count:?}"
        );
        let ended = report
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::Ended(_)))
            .count();
        assert_eq!(
            ended,
            html.matches(">[종료]<").count(),
            "{name}: every [종료] row left out"
        );
        assert!(report.deals.iter().all(|d| !d.title.contains("[종료]")), "{name}");
        let priced = report.deals.iter().filter(|d| !d.price.is_unknown()).count();
        assert!(
            priced * 2 >= report.deals.len(),
            "{name}: most titles state a price, {priced} of {} read",
            report.deals.len()
        );
        if name == "ruliweb_list_2026-08-07.html" {
            assert_eq!(
                (report.matched, report.deals.len(), ended, priced),
                (28, 26, 2, 14),
                "{name}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `junggye deals try`.

fn deals_try(args: &[&str], sources_file: Option<&std::path::Path>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_junggye"));
    command.args(["deals", "try"]).args(args).env("APP_ENV", "test");
    if let Some(file) = sources_file {
        command.env("DEALS_SOURCES_FILE", file);
    }
    command.output().unwrap()
}

#[test]
fn deals_try_shows_a_saved_page_as_the_skill_would_with_the_skipped_rows() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/deals/ruliweb_list.html"
    );
    let output = deals_try(&["ruliweb", "--file", fixture], None);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("루리웹 핫딜 (ruliweb, HTML list, enabled)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("10 rows: 7 deals, 3 skipped, 6 with a price, 0 with a shop link"),
        "{stdout}"
    );
    assert!(stdout.contains("  1. [쿠팡] 오뚜기 진라면 순한맛 120g 20봉 (13,520원/무료)\n     price: 13,520원 · category: 음식\n"), "{stdout}");
    assert!(
        stdout.contains("     post: https://bbs.ruliweb.com/market/board/1020/read/101209\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("shop link: (deal pages are not read with --file)"),
        "{stdout}"
    );
    assert!(stdout.contains("  row 2: ended ([종료]) — 101208"), "{stdout}");
    assert!(
        stdout.contains("  row 7: skip text \"삭제된 게시물입니다.\""),
        "{stdout}"
    );

    let mismatch = deals_try(&["quasarzone", "--file", fixture], None);
    assert!(!mismatch.status.success());
    let stderr = String::from_utf8_lossy(&mismatch.stderr);
    assert!(
        stderr.contains("the page layout changed: the row selector matches nothing"),
        "{stderr}"
    );

    let unknown = deals_try(&["nope", "--file", fixture], None);
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no deal source is called \"nope\" (the sources file has: quasarzone, ruliweb"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deals_try_reads_a_board_and_its_deal_pages_even_when_not_enabled() {
    let site = FakeSite::with_both_boards().await;
    let dir = tempfile::tempdir().unwrap();
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deals/sources.toml")).unwrap();
    let sources = shipped
        .replace(
            "https://quasarzone.com/bbs/qb_saleinfo?page={page}",
            &format!("{}?page={{page}}", site.url(Q_LIST)),
        )
        .replace("min_delay_ms = 1000", "min_delay_ms = 5");
    let sources = sources.replacen(
        "key = \"quasarzone\"\nname = \"퀘이사존 핫딜\"",
        "key = \"quasarzone\"\nname = \"퀘이사존 핫딜\"\nenabled = false",
        1,
    );
    assert!(sources.contains(&site.url(Q_LIST)) && sources.contains("enabled = false\nlist_url"));
    let file = dir.path().join("sources.toml");
    std::fs::write(&file, sources).unwrap();
    let output = tokio::task::spawn_blocking(move || deals_try(&["quasarzone"], Some(&file)))
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("퀘이사존 핫딜 (quasarzone, HTML list, not enabled)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("12 rows: 5 deals, 7 skipped, 5 with a price, 5 with a shop link"),
        "{stdout}"
    );
    assert!(
        stdout.contains("shop link: https://www.11st.co.kr/products/7712345678"),
        "{stdout}"
    );
    assert!(stdout.contains("  row 12: has .fa-lock — "), "{stdout}");
    assert!(
        stdout.contains("  row 8: no http(s) link (\"javascript:void(0)\")"),
        "{stdout}"
    );
    assert_eq!(site.hits(Q_LIST), 1);
    assert_eq!(site.hits(Q_DETAILS[0]), 1);
}
