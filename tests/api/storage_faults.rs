//! Black-box: the real server writing to a SQLite file that stops accepting writes while it runs.
//!
//! The fault is real: the server process runs under a file-size limit (`RLIMIT_FSIZE`, set with
//! util-linux's `prlimit`, no root needed), so SQLite's writes past it fail with an I/O error the way
//! they do on a full disk — at the commit, where a lost error would let a skill claim a write that never
//! happened. Every answer that claims success must match a stored row; after the limit is lifted the
//! same process must write again without a restart, and `/readyz` must say when it cannot write.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::helpers::{Reply, free_port, payload, wait_for_port_async};
use crate::products::quick_reply_extra;
use crate::registration::{FakeCdn, fake_cdn};

/// How many skill calls are in flight at once during the fault.
const IN_FLIGHT: usize = 16;
/// What the database may grow by once the limit is set: a few pages.
const HEADROOM: u64 = 32 * 1024;

/// The server process, killed when the test ends however it ends.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
    http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `serve` on the embedded SQLite default in a new directory. SIGXFSZ is ignored (as a
    /// server on a full disk sees no signal), so writes past the limit fail with EFBIG instead.
    async fn start(cdn: &FakeCdn) -> Self {
        let dir = tempfile::tempdir().unwrap().keep();
        let port = free_port();
        // Block ids, so that quick replies carry the draft and product ids they hand out: the template's
        // keys with ids of our own (its placeholders are refused).
        let template =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/skills/blocks.example.toml"))
                .unwrap();
        let blocks = dir.join("blocks.toml");
        std::fs::write(&blocks, template.replace("0000000000000000", "65a1f1d3a9c04e2b")).unwrap();
        let child = Command::new("sh")
            .args([
                "-c",
                "trap '' XFSZ; exec \"$0\" serve",
                env!("CARGO_BIN_EXE_junggye"),
            ])
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("METRICS_ADDR", "127.0.0.1:0")
            .env("IMAGE_HOSTS", cdn.addr.to_string())
            .env("KAKAO_BLOCKS_FILE", &blocks)
            .env("DEALS_ENABLED", "false")
            .env("RUST_LOG", "error")
            .spawn()
            .unwrap();
        wait_for_port_async(port, "server").await;
        Self {
            child,
            port,
            dir,
            http: reqwest::Client::new(),
        }
    }

    fn database(&self) -> PathBuf {
        self.dir.join("data/junggye.db")
    }

    /// Sets the process's file-size limit (soft only, so it can be lifted again without privileges).
    fn limit_file_size(&self, soft: &str) {
        let status = Command::new("prlimit")
            .args([
                "--pid",
                &self.child.id().to_string(),
                &format!("--fsize={soft}:unlimited"),
            ])
            .status()
            .expect("prlimit (util-linux) is needed for this test");
        assert!(status.success(), "prlimit failed");
    }

    async fn skill(&self, path: &str, body: &Value) -> Reply {
        let response = self
            .http
            .post(format!("http://127.0.0.1:{}{path}", self.port))
            .json(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        Reply(response.json().await.unwrap())
    }

    async fn ready(&self) -> (u16, Value) {
        let response = self
            .http
            .get(format!("http://127.0.0.1:{}/readyz", self.port))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Polls `/readyz` until it answers `status` (within 20 s: a few probe intervals).
    async fn wait_ready(&self, status: u16) -> Value {
        let started = Instant::now();
        loop {
            let (got, body) = self.ready().await;
            if got == status {
                println!("/readyz answered {status} after {:?}", started.elapsed());
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "/readyz stayed {got}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn join_body(user: &str, name: &str) -> Value {
    payload(user)
        .param("name", name)
        .param("phone", "01012345678")
        .build()
}

fn preview_body(user: &str, images: &str) -> Value {
    payload(user)
        .extra("category", "digital")
        .param("productName", "아이폰 15 프로")
        .param("price", "90만원")
        .param("description", "배터리 성능 95%")
        .param("location", "강남역 2번 출구")
        .param("openChatUrl", "https://open.kakao.com/o/gAbC123")
        .param("images", images)
        .build()
}

/// What the answers of one kind claimed: the ids they handed out.
#[derive(Default)]
struct Claims {
    joined: HashSet<String>,
    drafts: HashSet<i64>,
    products: HashSet<i64>,
    apologies: usize,
}

/// One call of each kind per step `i`, as a hostile burst would send them (new members named by `tag`). Registrations use the drafts
/// made before the fault (`ready_drafts`), one each.
async fn burst(
    server: &Arc<Server>,
    cdn: &Arc<FakeCdn>,
    tag: &'static str,
    steps: usize,
    ready_drafts: &[i64],
) -> Claims {
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::new();
    for i in 0..steps {
        let (server, cdn, gate) = (server.clone(), cdn.clone(), gate.clone());
        let draft = ready_drafts.get(i).copied();
        tasks.push(tokio::spawn(async move {
            let _turn = gate.acquire_owned().await.unwrap();
            let user = format!("full-{tag}{i}");
            let joined = server
                .skill("/skill/members/join", &join_body(&user, &format!("회원{tag}{i}")))
                .await;
            let images = cdn.secure_images(&["photo.jpg"]);
            let seller = format!("seller-{}", i % 4);
            let preview = server
                .skill("/skill/products/preview", &preview_body(&seller, &images))
                .await;
            let registered = match draft {
                Some(draft) => {
                    let body = payload(&format!("seller-{}", draft_owner(draft)))
                        .extra("draftId", &draft.to_string())
                        .build();
                    Some(server.skill("/skill/products/register", &body).await)
                }
                None => None,
            };
            (user, joined, preview, registered)
        }));
    }
    let mut claims = Claims::default();
    for task in tasks {
        let (user, joined, preview, registered) = task.await.unwrap();
        if joined.contains("환영") {
            claims.joined.insert(user);
        } else {
            claims.apologies += 1;
        }
        match quick_reply_extra(&preview, "등록하기") {
            Some(extra) => {
                claims
                    .drafts
                    .insert(extra["draftId"].as_str().unwrap().parse().unwrap());
            }
            None => claims.apologies += 1,
        }
        if let Some(reply) = registered {
            match quick_reply_extra(&reply, "상품 보기") {
                Some(extra) if reply.contains("등록했어요") => {
                    claims
                        .products
                        .insert(extra["productId"].as_str().unwrap().parse().unwrap());
                }
                _ => claims.apologies += 1,
            }
        }
    }
    claims
}

/// Drafts made before the fault are numbered in seller order (see `prepare`).
fn draft_owner(draft: i64) -> i64 {
    (draft - 1) % 4
}

/// Four sellers, and `drafts` drafts among them (draft `n` belongs to seller `(n - 1) % 4`).
async fn prepare(server: &Server, cdn: &FakeCdn, drafts: usize) -> Vec<i64> {
    for s in 0..4 {
        let joined = server
            .skill(
                "/skill/members/join",
                &join_body(&format!("seller-{s}"), &format!("판매자{s}")),
            )
            .await;
        assert!(joined.contains("환영"), "{}", joined.text());
    }
    let images = cdn.secure_images(&["photo.jpg"]);
    let mut ids = Vec::new();
    for n in 0..drafts {
        let preview = server
            .skill(
                "/skill/products/preview",
                &preview_body(&format!("seller-{}", n % 4), &images),
            )
            .await;
        let extra = quick_reply_extra(&preview, "등록하기").expect("a draft before the fault");
        ids.push(extra["draftId"].as_str().unwrap().parse().unwrap());
    }
    assert_eq!(
        ids,
        (1..=drafts as i64).collect::<Vec<_>>(),
        "drafts numbered from 1"
    );
    ids
}

/// Reads what the server's file really holds, from outside the server.
async fn stored(database: &Path, claims: &Claims) -> (usize, usize, usize, i64) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", database.display()))
        .await
        .unwrap();
    let mut joined = 0;
    for user in &claims.joined {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE user_key = $1")
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
        joined += n as usize;
    }
    let mut drafts = 0;
    for id in &claims.drafts {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM product_drafts WHERE id = $1 AND photo_set_id IS NOT NULL",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        drafts += n as usize;
    }
    let mut products = 0;
    for id in &claims.products {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        products += n as usize;
    }
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE user_key LIKE 'full-%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    (joined, drafts, products, members)
}

/// The size the database's files have reached, so a limit just above it lets only a few more pages in.
fn largest_file(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .map(|meta| meta.len())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_cannot_grow_never_gets_a_write_claimed_and_recovers_when_it_can() {
    let cdn = Arc::new(fake_cdn().await);
    let server = Arc::new(Server::start(&cdn).await);
    let drafts = prepare(&server, &cdn, 60).await;
    server.wait_ready(200).await;

    let full_at = largest_file(&server.dir.join("data")) + HEADROOM;
    server.limit_file_size(&full_at.to_string());
    let claims = burst(&server, &cdn, "a", 300, &drafts).await;
    let (joined, drafts_stored, products, members) = stored(&server.database(), &claims).await;
    println!(
        "into a full database: {} joins claimed, {joined} of them stored ({members} members in all); \
         {} drafts claimed, {drafts_stored} stored; {} registrations claimed, {products} stored; {} apologies",
        claims.joined.len(),
        claims.drafts.len(),
        claims.products.len(),
        claims.apologies
    );
    assert!(
        claims.apologies > 0,
        "the fault was real: some writes were refused"
    );
    assert_eq!(
        joined,
        claims.joined.len(),
        "every member who was welcomed is stored"
    );
    assert_eq!(
        drafts_stored,
        claims.drafts.len(),
        "every draft handed out exists, with its photo set"
    );
    assert_eq!(products, claims.products.len(), "every product announced exists");

    // Past this, no write at all can land (only a file's first byte could be written), however much
    // of its log SQLite has recycled: readiness must say so within a few probe intervals.
    server.limit_file_size("1");
    let body = server.wait_ready(503).await;
    assert_eq!(body["database"]["writable"], false, "{body}");
    let refused = server
        .skill("/skill/members/join", &join_body("full-late", "늦은회원"))
        .await;
    assert!(!refused.contains("환영"), "{}", refused.text());

    server.limit_file_size("unlimited");
    server.wait_ready(200).await;
    let after = burst(&server, &cdn, "b", 40, &[]).await;
    assert_eq!(after.apologies, 0, "the same process writes again once it can");
    let (joined, drafts_stored, _, _) = stored(&server.database(), &after).await;
    assert_eq!((joined, drafts_stored), (40, 40));
}
