//! Notices: the rules of their content, their storage on both databases, and the two skills end to end.

use std::sync::Arc;

use junggye::kakao::Nav;
use junggye::notices::store::{self, ListCursor, StatusChange};
use junggye::notices::{NewNotice, Notice, NoticeInput, NoticeKind, NoticeStatus};
use junggye::router;
use serde_json::Value;

use crate::helpers::{Backend, Reply, TestApp, TestDb, join, payload};
use crate::on_both_backends;

on_both_backends!(
    // storage
    a_notice_is_stored_and_read_back_with_its_id_and_times,
    only_main_and_published_notices_are_readable_by_id,
    the_store_lists_main_notices_first_then_published_ones_newest_first,
    a_status_change_happens_only_from_the_expected_status,
    an_edit_replaces_the_content_unless_the_notice_is_deleted,
    a_notice_posted_while_someone_pages_neither_repeats_nor_hides_one,
    the_database_itself_refuses_an_image_notice_without_an_image,
    a_notice_edited_by_hand_into_breaking_a_rule_is_reported_not_shown,
    // the listing skill
    the_listing_shows_main_notices_first_newest_first_and_never_hidden_or_deleted,
    paging_through_0_1_5_6_and_11_notices_shows_each_exactly_once,
    an_empty_page_after_a_cursor_offers_the_first_page,
    an_unreadable_cursor_starts_from_the_top,
    each_row_opens_its_notice,
    members_and_non_members_alike_read_notices,
    without_block_ids_the_rows_and_more_fall_back_to_commands,
    // the detail skill
    a_text_notice_opens_as_a_text_card_with_its_link_button,
    an_image_notice_opens_as_a_basic_card_with_its_image,
    a_body_too_long_for_its_card_follows_it_in_its_own_bubble_uncut,
    hidden_deleted_unknown_and_garbage_ids_are_answered_as_not_found,
    a_detail_without_a_notice_id_points_to_the_listing,
);

// ---------------------------------------------------------------------------------------------
// Support

const MAIN_BLOCK: &str = "000000000000000000000001";
const NOTICES_BLOCK: &str = "000000000000000000000016";
const NOTICE_DETAIL_BLOCK: &str = "000000000000000000000017";

fn input<'a>(kind: NoticeKind, title: &'a str, body: &'a str) -> NoticeInput<'a> {
    NoticeInput::new(kind, title, body)
}

fn text_notice(title: &str, body: &str) -> NewNotice {
    NewNotice::parse(input(NoticeKind::Text, title, body)).unwrap()
}

fn image_notice(title: &str, body: &str, image_url: &str) -> NewNotice {
    NewNotice::parse(NoticeInput {
        image_url: Some(image_url),
        ..input(NoticeKind::Image, title, body)
    })
    .unwrap()
}

fn refusal(input: NoticeInput<'_>) -> String {
    NewNotice::parse(input)
        .expect_err("must be refused")
        .message()
        .to_owned()
}

async fn post(db: &junggye::db::Db, title: &str, status: NoticeStatus) -> Notice {
    store::create(db, &text_notice(title, &format!("{title} 본문")), status)
        .await
        .unwrap()
}

/// An app whose blocks file knows the main and notice blocks, so rows and "더보기" carry `extra`.
async fn app_with_block_ids(backend: Backend) -> TestApp {
    let mut app = TestApp::new(backend).await;
    let nav = Nav::parse(&format!(
        "main = \"{MAIN_BLOCK}\"\nnotices = \"{NOTICES_BLOCK}\"\nnotice_detail = \"{NOTICE_DETAIL_BLOCK}\""
    ))
    .unwrap();
    let mut state = app.state.clone();
    state.nav = Arc::new(nav);
    app.router = router::assemble(state.clone(), router::skill_routes(), None);
    app.state = state;
    app
}

async fn listing(app: &TestApp, cursor: Option<&str>) -> Reply {
    let mut body = payload("reader");
    if let Some(cursor) = cursor {
        body = body.extra("cursor", cursor);
    }
    app.skill("/skill/notices", &body.build()).await
}

async fn detail(app: &TestApp, notice_id: &str) -> Reply {
    app.skill(
        "/skill/notices/detail",
        &payload("reader").extra("noticeId", notice_id).build(),
    )
    .await
}

fn rows(reply: &Reply) -> Vec<Value> {
    reply.0["template"]["outputs"][0]["listCard"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn row_titles(reply: &Reply) -> Vec<String> {
    rows(reply)
        .iter()
        .map(|row| row["title"].as_str().unwrap().to_owned())
        .collect()
}

fn quick_reply<'a>(reply: &'a Reply, label: &str) -> Option<&'a Value> {
    reply.0["template"]["quickReplies"]
        .as_array()?
        .iter()
        .find(|q| q["label"] == label)
}

fn output(reply: &Reply, index: usize) -> &Value {
    &reply.0["template"]["outputs"][index]
}

fn outputs_len(reply: &Reply) -> usize {
    reply.0["template"]["outputs"].as_array().map_or(0, Vec::len)
}

// ---------------------------------------------------------------------------------------------
// The rules of a notice's content (no database needed)

#[test]
fn a_valid_text_notice_is_accepted_and_normalised() {
    let notice = NewNotice::parse(NoticeInput {
        link_label: Some(" 자세히 보기 "),
        link_url: Some(" https://example.com/notice/1 "),
        ..input(
            NoticeKind::Text,
            "  서비스   점검 안내 ",
            "점검이 있어요.\r\n\r\n\r\n양해 부탁드려요.",
        )
    })
    .unwrap();
    assert_eq!(notice.kind(), NoticeKind::Text);
    assert_eq!(notice.title(), "서비스 점검 안내");
    assert_eq!(notice.body(), "점검이 있어요.\n\n양해 부탁드려요.");
    assert!(notice.image_url().is_none());
    let link = notice.link().unwrap();
    assert_eq!(link.label(), "자세히 보기");
    assert_eq!(link.url().as_str(), "https://example.com/notice/1");
}

#[test]
fn an_image_notice_without_an_image_is_refused() {
    let message = refusal(input(NoticeKind::Image, "이벤트", "본문"));
    assert!(message.contains("이미지"), "{message}");
    let blank = refusal(NoticeInput {
        image_url: Some("  "),
        ..input(NoticeKind::Image, "이벤트", "본문")
    });
    assert_eq!(blank, message);
}

#[test]
fn an_image_url_must_be_an_http_or_https_address() {
    for url in [
        "ftp://example.com/a.png",
        "example.com/a.png",
        "https://",
        "javascript:alert(1)",
    ] {
        let message = refusal(NoticeInput {
            image_url: Some(url),
            ..input(NoticeKind::Image, "이벤트", "본문")
        });
        assert!(message.contains("이미지 주소"), "{url}: {message}");
    }
}

#[test]
fn a_text_notice_cannot_carry_an_image() {
    let message = refusal(NoticeInput {
        image_url: Some("https://example.com/a.png"),
        ..input(NoticeKind::Text, "공지", "본문")
    });
    assert!(message.contains("텍스트 공지"), "{message}");
}

#[test]
fn a_link_label_longer_than_14_characters_is_refused() {
    let ok = NewNotice::parse(NoticeInput {
        link_label: Some(&"가".repeat(14)),
        link_url: Some("https://example.com"),
        ..input(NoticeKind::Text, "공지", "본문")
    });
    assert!(ok.is_ok());
    let message = refusal(NoticeInput {
        link_label: Some(&"가".repeat(15)),
        link_url: Some("https://example.com"),
        ..input(NoticeKind::Text, "공지", "본문")
    });
    assert!(message.contains("14자"), "{message}");
}

#[test]
fn a_link_needs_both_its_label_and_a_valid_url() {
    for (label, url) in [
        (Some("바로가기"), None),
        (None, Some("https://example.com")),
        (Some("바로가기"), Some(" ")),
    ] {
        let message = refusal(NoticeInput {
            link_label: label,
            link_url: url,
            ..input(NoticeKind::Text, "공지", "본문")
        });
        assert!(message.contains("이름과 주소"), "{label:?} {url:?}: {message}");
    }
    let message = refusal(NoticeInput {
        link_label: Some("바로가기"),
        link_url: Some("www.example.com"),
        ..input(NoticeKind::Text, "공지", "본문")
    });
    assert!(message.contains("링크 주소"), "{message}");
}

#[test]
fn titles_hold_1_to_50_characters_and_bodies_1_to_1000() {
    let body = "본".repeat(1000);
    assert!(NewNotice::parse(input(NoticeKind::Text, &"제".repeat(50), &body)).is_ok());
    assert!(refusal(input(NoticeKind::Text, &"제".repeat(51), "본문")).contains("50자"));
    assert!(refusal(input(NoticeKind::Text, "\u{200B} \n", "본문")).contains("제목"));
    assert!(refusal(input(NoticeKind::Text, "공지", &"본".repeat(1001))).contains("1000자"));
    assert!(refusal(input(NoticeKind::Text, "공지", " \n\n ")).contains("내용"));
}

#[test]
fn a_list_cursor_reads_only_what_it_writes() {
    for garbage in [
        "",
        "1",
        "1.2",
        "1.2.3.4",
        "2.1.1",
        "1.-5.3",
        "1.5.0",
        "a.b.c",
        "1. 2.3",
        "+1.2.3",
        "1.2.99999999999999999999",
    ] {
        assert_eq!(ListCursor::parse(garbage), None, "{garbage:?}");
    }
    let cursor = ListCursor::parse("1.1767225600000.42").unwrap();
    assert_eq!(cursor.to_string(), "1.1767225600000.42");
    assert_eq!(ListCursor::parse(&cursor.to_string()), Some(cursor));
}

// ---------------------------------------------------------------------------------------------
// Storage

async fn a_notice_is_stored_and_read_back_with_its_id_and_times(backend: Backend) {
    let t = TestDb::new(backend).await;
    let new = NewNotice::parse(NoticeInput {
        image_url: Some("https://cdn.example.com/event.png"),
        link_label: Some("참여하기"),
        link_url: Some("https://example.com/event"),
        ..input(NoticeKind::Image, "봄맞이 이벤트", "첫 줄\n둘째 줄")
    })
    .unwrap();
    let before = junggye::clock::now_ms();
    let created = store::create(&t.db, &new, NoticeStatus::Published).await.unwrap();
    assert!(created.id > 0);
    assert!(created.created_at >= before && created.updated_at == created.created_at);
    assert_eq!(created.content, new);
    let found = store::get(&t.db, created.id).await.unwrap().unwrap();
    assert_eq!(found, created);
    let second = post(&t.db, "둘째", NoticeStatus::Published).await;
    assert!(second.id > created.id, "ids come from the database and increase");
    assert!(store::get(&t.db, second.id + 100).await.unwrap().is_none());
}

async fn only_main_and_published_notices_are_readable_by_id(backend: Backend) {
    let t = TestDb::new(backend).await;
    for status in NoticeStatus::ALL {
        let notice = post(&t.db, status.label(), status).await;
        let published = store::get_published(&t.db, notice.id).await.unwrap();
        assert_eq!(published.is_some(), status.is_visible(), "{status:?}");
        assert!(store::get(&t.db, notice.id).await.unwrap().is_some());
    }
    assert!(store::get_published(&t.db, 999_999).await.unwrap().is_none());
}

async fn the_store_lists_main_notices_first_then_published_ones_newest_first(backend: Backend) {
    let t = TestDb::new(backend).await;
    post(&t.db, "게시1", NoticeStatus::Published).await;
    post(&t.db, "메인1", NoticeStatus::Main).await;
    post(&t.db, "숨김", NoticeStatus::Hidden).await;
    post(&t.db, "게시2", NoticeStatus::Published).await;
    post(&t.db, "메인2", NoticeStatus::Main).await;
    post(&t.db, "삭제", NoticeStatus::Deleted).await;
    let page = store::list_published(&t.db, None, 10).await.unwrap();
    let titles: Vec<&str> = page.notices.iter().map(Notice::title).collect();
    assert_eq!(titles, ["메인2", "메인1", "게시2", "게시1"]);
    assert_eq!(page.next, None);

    let first = store::list_published(&t.db, None, 3).await.unwrap();
    assert_eq!(first.notices.len(), 3);
    let rest = store::list_published(&t.db, first.next.as_ref(), 3)
        .await
        .unwrap();
    let titles: Vec<&str> = rest.notices.iter().map(Notice::title).collect();
    assert_eq!(titles, ["게시1"]);
    assert_eq!(rest.next, None);

    let exactly = store::list_published(&t.db, None, 4).await.unwrap();
    assert_eq!(exactly.notices.len(), 4);
    assert_eq!(exactly.next, None, "a full last page has no next page");
}

async fn a_status_change_happens_only_from_the_expected_status(backend: Backend) {
    let t = TestDb::new(backend).await;
    let notice = post(&t.db, "공지", NoticeStatus::Published).await;
    let change = |from, to| store::set_status(&t.db, notice.id, from, to);
    assert_eq!(
        change(NoticeStatus::Main, NoticeStatus::Hidden).await.unwrap(),
        StatusChange::Stale,
        "the notice is not main"
    );
    assert_eq!(
        change(NoticeStatus::Published, NoticeStatus::Main).await.unwrap(),
        StatusChange::Changed
    );
    assert_eq!(
        change(NoticeStatus::Published, NoticeStatus::Hidden)
            .await
            .unwrap(),
        StatusChange::Stale,
        "a second admin acting on the old status does not overwrite the first"
    );
    let now = store::get(&t.db, notice.id).await.unwrap().unwrap();
    assert_eq!(now.status, NoticeStatus::Main);
    assert!(now.updated_at >= notice.updated_at);

    assert_eq!(
        change(NoticeStatus::Main, NoticeStatus::Deleted).await.unwrap(),
        StatusChange::Changed
    );
    assert_eq!(
        change(NoticeStatus::Deleted, NoticeStatus::Published)
            .await
            .unwrap(),
        StatusChange::NotAllowed,
        "deletion is final"
    );
    assert_eq!(
        store::set_status(&t.db, 999_999, NoticeStatus::Hidden, NoticeStatus::Published)
            .await
            .unwrap(),
        StatusChange::Stale
    );
    assert_eq!(
        store::get(&t.db, notice.id).await.unwrap().unwrap().status,
        NoticeStatus::Deleted
    );
}

async fn an_edit_replaces_the_content_unless_the_notice_is_deleted(backend: Backend) {
    let t = TestDb::new(backend).await;
    let notice = post(&t.db, "처음 제목", NoticeStatus::Main).await;
    let edited = image_notice("새 제목", "새 본문", "https://cdn.example.com/new.png");
    let updated = store::update(&t.db, notice.id, &edited).await.unwrap().unwrap();
    assert_eq!(updated.content, edited);
    assert_eq!(updated.status, NoticeStatus::Main, "an edit keeps the status");
    assert_eq!(updated.created_at, notice.created_at, "and the creation time");
    assert!(updated.updated_at >= notice.updated_at);
    assert_eq!(store::get(&t.db, notice.id).await.unwrap().unwrap(), updated);

    store::set_status(&t.db, notice.id, NoticeStatus::Main, NoticeStatus::Deleted)
        .await
        .unwrap();
    let refused = store::update(&t.db, notice.id, &text_notice("되살리기", "본문"))
        .await
        .unwrap();
    assert_eq!(refused, None);
    assert_eq!(
        store::get(&t.db, notice.id).await.unwrap().unwrap().title(),
        "새 제목"
    );
    assert_eq!(store::update(&t.db, 999_999, &edited).await.unwrap(), None);
}

async fn a_notice_posted_while_someone_pages_neither_repeats_nor_hides_one(backend: Backend) {
    let t = TestDb::new(backend).await;
    for i in 1..=6 {
        post(&t.db, &format!("공지{i}"), NoticeStatus::Published).await;
    }
    let first = store::list_published(&t.db, None, 5).await.unwrap();
    let titles: Vec<&str> = first.notices.iter().map(Notice::title).collect();
    assert_eq!(titles, ["공지6", "공지5", "공지4", "공지3", "공지2"]);
    // An admin posts and pins while the reader looks at page 1.
    post(&t.db, "새 공지", NoticeStatus::Published).await;
    post(&t.db, "새 메인", NoticeStatus::Main).await;
    let second = store::list_published(&t.db, first.next.as_ref(), 5)
        .await
        .unwrap();
    let titles: Vec<&str> = second.notices.iter().map(Notice::title).collect();
    assert_eq!(titles, ["공지1"]);
    assert_eq!(second.next, None);
}

async fn the_database_itself_refuses_an_image_notice_without_an_image(backend: Backend) {
    let t = TestDb::new(backend).await;
    let insert = |kind: &'static str, image: Option<&'static str>, label: Option<&'static str>| {
        let db = t.db.clone();
        async move {
            junggye::dispatch!(&db, pool => {
                sqlx::query(
                    "INSERT INTO notices (kind, title, body, image_url, link_label, link_url, status, created_at, updated_at) \
                     VALUES ($1, 't', 'b', $2, $3, NULL, 'published', 1, 1)",
                )
                .bind(kind)
                .bind(image)
                .bind(label)
                .execute(pool)
                .await
                .map(drop)
            })
        }
    };
    assert!(
        insert("image", None, None).await.is_err(),
        "image without image_url"
    );
    assert!(
        insert("text", Some("https://x.example/a.png"), None)
            .await
            .is_err(),
        "text with an image"
    );
    assert!(
        insert("text", None, Some("라벨")).await.is_err(),
        "a link label without its URL"
    );
    assert!(insert("video", None, None).await.is_err(), "an unknown kind");
    assert!(insert("text", None, None).await.is_ok());
}

async fn a_notice_edited_by_hand_into_breaking_a_rule_is_reported_not_shown(backend: Backend) {
    let t = TestDb::new(backend).await;
    let notice = post(&t.db, "공지", NoticeStatus::Published).await;
    junggye::dispatch!(&t.db, pool => {
        sqlx::query("UPDATE notices SET title = $1 WHERE id = $2")
            .bind("가".repeat(60))
            .bind(notice.id)
            .execute(pool)
            .await
            .map(drop)
            .unwrap()
    });
    assert!(matches!(
        store::get_published(&t.db, notice.id).await,
        Err(sqlx::Error::Decode(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// The listing skill

async fn the_listing_shows_main_notices_first_newest_first_and_never_hidden_or_deleted(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    let db = &app.state.db;
    post(db, "게시 A", NoticeStatus::Published).await;
    post(db, "메인 B", NoticeStatus::Main).await;
    post(db, "숨김 C", NoticeStatus::Hidden).await;
    let later_hidden = post(db, "게시했다 숨김 D", NoticeStatus::Published).await;
    post(db, "게시 E", NoticeStatus::Published).await;
    post(db, "삭제 F", NoticeStatus::Deleted).await;
    post(db, "메인 G", NoticeStatus::Main).await;
    store::set_status(db, later_hidden.id, NoticeStatus::Published, NoticeStatus::Hidden)
        .await
        .unwrap();

    let reply = listing(&app, None).await;
    assert_eq!(output(&reply, 0)["listCard"]["header"]["title"], "공지사항");
    assert_eq!(row_titles(&reply), ["메인 G", "메인 B", "게시 E", "게시 A"]);
    let descriptions: Vec<String> = rows(&reply)
        .iter()
        .map(|row| row["description"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        descriptions[0].starts_with("📌") && descriptions[1].starts_with("📌"),
        "{descriptions:?}"
    );
    assert!(
        !descriptions[2].starts_with("📌") && descriptions[2].contains('년'),
        "{descriptions:?}"
    );
    assert!(quick_reply(&reply, "더보기").is_none());
    assert!(quick_reply(&reply, "처음으로").is_some());
}

async fn paging_through_0_1_5_6_and_11_notices_shows_each_exactly_once(backend: Backend) {
    for count in [0_usize, 1, 5, 6, 11] {
        let app = app_with_block_ids(backend).await;
        for i in 0..count {
            post(&app.state.db, &format!("공지 {i}"), NoticeStatus::Published).await;
        }
        let expected: Vec<String> = (0..count).rev().map(|i| format!("공지 {i}")).collect();
        let pages_expected = count.div_ceil(5).max(1);

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            pages += 1;
            assert!(pages <= pages_expected, "{count} notices: more pages than needed");
            let reply = listing(&app, cursor.as_deref()).await;
            if count == 0 {
                assert_eq!(
                    reply.0["template"]["outputs"][0]["simpleText"]["text"],
                    "아직 공지사항이 없어요."
                );
                assert!(quick_reply(&reply, "더보기").is_none());
                assert!(quick_reply(&reply, "처음으로").is_some());
                break;
            }
            let titles = row_titles(&reply);
            let last_page = pages == pages_expected;
            let expected_rows = if last_page { count - 5 * (pages - 1) } else { 5 };
            assert_eq!(titles.len(), expected_rows, "{count} notices, page {pages}");
            seen.extend(titles);
            let more = quick_reply(&reply, "더보기");
            assert_eq!(
                more.is_some(),
                !last_page,
                "{count} notices, page {pages}: 더보기"
            );
            assert!(quick_reply(&reply, "처음으로").is_some());
            let Some(more) = more else { break };
            assert_eq!(more["action"], "block");
            assert_eq!(more["blockId"], NOTICES_BLOCK);
            cursor = Some(
                more["extra"]["cursor"]
                    .as_str()
                    .expect("더보기 carries the cursor")
                    .to_owned(),
            );
        }
        assert_eq!(pages, pages_expected, "{count} notices");
        assert_eq!(seen, expected, "{count} notices: every notice once, newest first");
    }
}

async fn an_empty_page_after_a_cursor_offers_the_first_page(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    let mut notices = Vec::new();
    for i in 0..6 {
        notices.push(post(&app.state.db, &format!("공지 {i}"), NoticeStatus::Published).await);
    }
    let first = listing(&app, None).await;
    let cursor = quick_reply(&first, "더보기").unwrap()["extra"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    // The only notice of page 2 is hidden before the reader taps 더보기.
    store::set_status(
        &app.state.db,
        notices[0].id,
        NoticeStatus::Published,
        NoticeStatus::Hidden,
    )
    .await
    .unwrap();
    let second = listing(&app, Some(&cursor)).await;
    assert!(second.contains("더 볼 공지사항이 없어요"), "{}", second.text());
    let again = quick_reply(&second, "공지 처음부터").expect("a way back to the first page");
    assert_eq!(again["blockId"], NOTICES_BLOCK);
    assert!(again.get("extra").is_none(), "the first page has no cursor");
}

async fn an_unreadable_cursor_starts_from_the_top(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    for i in 0..7 {
        post(&app.state.db, &format!("공지 {i}"), NoticeStatus::Published).await;
    }
    let top = row_titles(&listing(&app, None).await);
    for cursor in [
        "abc",
        "1.2",
        "-1.5.5",
        "9.1.1",
        "1.1.0",
        "'; DROP TABLE notices; --",
    ] {
        let reply = listing(&app, Some(cursor)).await;
        assert_eq!(row_titles(&reply), top, "cursor {cursor:?}");
    }
}

async fn each_row_opens_its_notice(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    let text = post(&app.state.db, "텍스트 공지", NoticeStatus::Published).await;
    let image = store::create(
        &app.state.db,
        &image_notice("이미지 공지", "본문", "https://cdn.example.com/a.png"),
        NoticeStatus::Main,
    )
    .await
    .unwrap();
    let reply = listing(&app, None).await;
    let rows = rows(&reply);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["imageUrl"], "https://cdn.example.com/a.png",
        "an image notice shows its image"
    );
    assert!(rows[1].get("imageUrl").is_none());
    for (row, notice) in rows.iter().zip([&image, &text]) {
        assert_eq!(row["action"], "block");
        assert_eq!(row["blockId"], NOTICE_DETAIL_BLOCK);
        let id = row["extra"]["noticeId"].as_str().unwrap();
        assert_eq!(id, notice.id.to_string());
        let opened = detail(&app, id).await;
        assert!(opened.contains(notice.title()), "{}", opened.text());
    }
}

async fn members_and_non_members_alike_read_notices(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    let notice = post(&app.state.db, "모두를 위한 공지", NoticeStatus::Published).await;
    join(&app, "member", "공지독자").await;
    for user in ["member", "stranger"] {
        let list = app.skill("/skill/notices", &payload(user).build()).await;
        assert_eq!(row_titles(&list), ["모두를 위한 공지"], "{user}");
        let body = payload(user).extra("noticeId", &notice.id.to_string()).build();
        let opened = app.skill("/skill/notices/detail", &body).await;
        assert!(opened.contains("모두를 위한 공지"), "{user}: {}", opened.text());
    }
}

async fn without_block_ids_the_rows_and_more_fall_back_to_commands(backend: Backend) {
    let app = TestApp::new(backend).await;
    for i in 0..6 {
        post(&app.state.db, &format!("공지 {i}"), NoticeStatus::Published).await;
    }
    let reply = listing(&app, None).await;
    let rows = rows(&reply);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["action"], "message");
    // The block's utterance, then the extra the conversation skill reads back.
    let row = rows[0]["messageText"].as_str().unwrap();
    assert!(row.starts_with("공지상세 noticeId="), "{row}");
    let more = quick_reply(&reply, "더보기").unwrap();
    assert_eq!(more["action"], "message");
    let more = more["messageText"].as_str().unwrap();
    assert!(more.starts_with("공지사항 cursor="), "{more}");
}

// ---------------------------------------------------------------------------------------------
// The detail skill

async fn a_text_notice_opens_as_a_text_card_with_its_link_button(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    let with_link = NewNotice::parse(NoticeInput {
        link_label: Some("점검 일정 보기"),
        link_url: Some("https://example.com/maintenance"),
        ..input(
            NoticeKind::Text,
            "서버 점검 안내",
            "5월 1일 새벽 2시부터 4시까지 점검해요.\n이용에 참고해 주세요.",
        )
    })
    .unwrap();
    let notice = store::create(&app.state.db, &with_link, NoticeStatus::Published)
        .await
        .unwrap();
    let reply = detail(&app, &notice.id.to_string()).await;
    assert_eq!(outputs_len(&reply), 1);
    let card = &output(&reply, 0)["textCard"];
    assert_eq!(card["title"], "서버 점검 안내");
    assert_eq!(card["description"], with_link.body());
    assert_eq!(card["buttons"][0]["label"], "점검 일정 보기");
    assert_eq!(card["buttons"][0]["action"], "webLink");
    assert_eq!(
        card["buttons"][0]["webLinkUrl"],
        "https://example.com/maintenance"
    );
    let back = quick_reply(&reply, "공지 목록").expect("back to the listing");
    assert_eq!(back["blockId"], NOTICES_BLOCK);
    assert!(quick_reply(&reply, "처음으로").is_some());

    let plain = post(&app.state.db, "버튼 없는 공지", NoticeStatus::Main).await;
    let reply = detail(&app, &plain.id.to_string()).await;
    assert!(output(&reply, 0)["textCard"].get("buttons").is_none());
}

async fn an_image_notice_opens_as_a_basic_card_with_its_image(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    let new = NewNotice::parse(NoticeInput {
        image_url: Some("https://cdn.example.com/spring.png"),
        link_label: Some("참여하기"),
        link_url: Some("https://example.com/event"),
        ..input(
            NoticeKind::Image,
            "봄맞이 이벤트",
            "이번 주 거래하면 포인트를 드려요.",
        )
    })
    .unwrap();
    let notice = store::create(&app.state.db, &new, NoticeStatus::Main)
        .await
        .unwrap();
    let reply = detail(&app, &notice.id.to_string()).await;
    assert_eq!(outputs_len(&reply), 1);
    let card = &output(&reply, 0)["basicCard"];
    assert_eq!(
        card["thumbnail"]["imageUrl"],
        "https://cdn.example.com/spring.png"
    );
    assert_eq!(card["title"], "봄맞이 이벤트");
    assert_eq!(card["description"], "이번 주 거래하면 포인트를 드려요.");
    assert_eq!(card["buttons"][0]["webLinkUrl"], "https://example.com/event");
    assert!(quick_reply(&reply, "공지 목록").is_some());
}

async fn a_body_too_long_for_its_card_follows_it_in_its_own_bubble_uncut(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    let db = &app.state.db;
    let cases = [
        (text_notice("딱 맞는 글", &"가".repeat(400)), "textCard", false),
        (text_notice("긴 글", &"가".repeat(401)), "textCard", true),
        (
            text_notice("가장 긴 글", &format!("{}끝", "가".repeat(999))),
            "textCard",
            true,
        ),
        (
            image_notice("딱 맞는 그림", &"나".repeat(230), "https://cdn.example.com/a.png"),
            "basicCard",
            false,
        ),
        (
            image_notice("긴 그림", &"나".repeat(231), "https://cdn.example.com/a.png"),
            "basicCard",
            true,
        ),
    ];
    for (new, card_type, own_bubble) in cases {
        let notice = store::create(db, &new, NoticeStatus::Published).await.unwrap();
        let reply = detail(&app, &notice.id.to_string()).await;
        let card = &output(&reply, 0)[card_type];
        assert_eq!(card["title"], new.title());
        if own_bubble {
            assert_eq!(outputs_len(&reply), 2, "{}", new.title());
            assert!(card.get("description").is_none(), "{}", new.title());
            assert_eq!(
                output(&reply, 1)["simpleText"]["text"],
                new.body(),
                "{}: the whole body",
                new.title()
            );
        } else {
            assert_eq!(outputs_len(&reply), 1, "{}", new.title());
            assert_eq!(card["description"], new.body(), "{}", new.title());
        }
    }
}

async fn hidden_deleted_unknown_and_garbage_ids_are_answered_as_not_found(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    let hidden = post(&app.state.db, "숨긴 공지", NoticeStatus::Hidden).await;
    let deleted = post(&app.state.db, "지운 공지", NoticeStatus::Deleted).await;
    let unknown = (deleted.id + 1000).to_string();
    let ids = [
        hidden.id.to_string(),
        deleted.id.to_string(),
        unknown,
        "0".into(),
        "-1".into(),
        "abc".into(),
        "1.5".into(),
        "99999999999999999999999".into(),
        "1; DROP TABLE notices".into(),
    ];
    for id in ids {
        let reply = detail(&app, &id).await;
        assert!(
            reply.contains("찾을 수 없는 공지예요"),
            "{id:?}: {}",
            reply.text()
        );
        assert!(
            !reply.contains("숨긴 공지") && !reply.contains("지운 공지"),
            "{id:?}"
        );
        assert!(
            quick_reply(&reply, "공지사항").is_some(),
            "{id:?}: a way back to the listing"
        );
    }
}

async fn a_detail_without_a_notice_id_points_to_the_listing(backend: Backend) {
    let app = app_with_block_ids(backend).await;
    for body in [
        payload("reader").build(),
        payload("reader").extra("noticeId", "  ").build(),
    ] {
        let reply = app.skill("/skill/notices/detail", &body).await;
        assert!(reply.contains("목록에서 골라 주세요"), "{}", reply.text());
        assert_eq!(quick_reply(&reply, "공지사항").unwrap()["blockId"], NOTICES_BLOCK);
    }
}
