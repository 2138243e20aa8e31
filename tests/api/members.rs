//! The member skills end to end on both databases.

use crate::helpers::{Backend, TestApp, join, payload};
use crate::on_both_backends;

on_both_backends!(
    a_new_user_can_join_and_see_their_profile,
    joining_twice_says_so,
    a_taken_name_is_refused_with_a_clear_message,
    invalid_join_input_gets_a_korean_message_and_nothing_is_stored,
    non_members_are_asked_to_join_first,
    phone_number_can_be_changed,
    withdrawal_asks_first_then_erases_the_member,
    a_withdrawn_member_can_join_again_and_their_name_is_free,
    concurrent_joins_with_one_name_let_exactly_one_through,
    concurrent_joins_by_one_user_create_one_member,
    mypage_offers_the_member_menu,
);

async fn a_new_user_can_join_and_see_their_profile(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = app
        .skill(
            "/skill/members/join",
            &payload("u1")
                .param("name", " 홍길동 ")
                .param("phone", "+82 10-9876-5432")
                .build(),
        )
        .await;
    assert!(reply.contains("홍길동님, 환영해요"), "{}", reply.text());
    assert!(reply.contains("브론즈"));

    let profile = app.skill("/skill/members/me", &payload("u1").build()).await;
    let text = profile.text();
    assert!(text.contains("홍길동"), "{text}");
    assert!(text.contains("브론즈"), "{text}");
    assert!(text.contains("010-****-5432"), "phone must be masked: {text}");
    assert!(
        !text.contains("9876"),
        "the full phone number must not be shown: {text}"
    );
    assert!(text.contains("년") && text.contains("월"), "join date: {text}");
    assert!(profile.quick_reply_labels().contains(&"연락처 변경".to_owned()));
}

async fn joining_twice_says_so(backend: Backend) {
    let app = TestApp::new(backend).await;
    join(&app, "u1", "김철수").await;
    let again = app
        .skill(
            "/skill/members/join",
            &payload("u1")
                .param("name", "다른이름")
                .param("phone", "01011112222")
                .build(),
        )
        .await;
    assert!(again.contains("이미 가입"), "{}", again.text());
}

async fn a_taken_name_is_refused_with_a_clear_message(backend: Backend) {
    let app = TestApp::new(backend).await;
    join(&app, "u1", "김철수").await;
    let reply = app
        .skill(
            "/skill/members/join",
            &payload("u2")
                .param("name", "김철수")
                .param("phone", "01011112222")
                .build(),
        )
        .await;
    assert!(reply.contains("이미 다른 회원이 사용 중"), "{}", reply.text());
    let not_joined = app.skill("/skill/members/me", &payload("u2").build()).await;
    assert!(not_joined.contains("회원가입이 필요해요"));
}

async fn invalid_join_input_gets_a_korean_message_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::new(backend).await;
    let cases = [
        payload("u1")
            .param("name", "김")
            .param("phone", "01012345678")
            .build(),
        payload("u1")
            .param("name", "김철수")
            .param("phone", "02-123-4567")
            .build(),
        payload("u1").param("name", "김철수").build(),
        payload("u1")
            .param("name", &"가".repeat(21))
            .param("phone", "01012345678")
            .build(),
        payload("u1")
            .param("name", "🙂🙂🙂")
            .param("phone", "01012345678")
            .build(),
    ];
    for case in cases {
        let reply = app.skill("/skill/members/join", &case).await;
        let text = reply.text();
        assert!(!text.contains("환영"), "{text}");
        assert!(
            text.chars().any(|c| ('가'..='힣').contains(&c)),
            "a Korean message: {text}"
        );
    }
    let profile = app.skill("/skill/members/me", &payload("u1").build()).await;
    assert!(profile.contains("회원가입이 필요해요"));
}

async fn non_members_are_asked_to_join_first(backend: Backend) {
    let app = TestApp::new(backend).await;
    for path in [
        "/skill/members/me",
        "/skill/members/me/phone",
        "/skill/members/me/withdraw",
        "/skill/members/mypage",
    ] {
        let reply = app
            .skill(path, &payload("stranger").param("phone", "01012345678").build())
            .await;
        assert!(reply.contains("회원가입이 필요해요"), "{path}: {}", reply.text());
        assert!(
            reply.quick_reply_labels().contains(&"회원가입".to_owned()),
            "{path}"
        );
    }
}

async fn phone_number_can_be_changed(backend: Backend) {
    let app = TestApp::new(backend).await;
    join(&app, "u1", "김철수").await;
    let bad = app
        .skill(
            "/skill/members/me/phone",
            &payload("u1").param("phone", "12345").build(),
        )
        .await;
    assert!(bad.contains("010"), "{}", bad.text());
    let ok = app
        .skill(
            "/skill/members/me/phone",
            &payload("u1").param("phone", "010 2222 3333").build(),
        )
        .await;
    assert!(ok.contains("010-****-3333"), "{}", ok.text());
    let profile = app.skill("/skill/members/me", &payload("u1").build()).await;
    assert!(profile.contains("010-****-3333"), "{}", profile.text());
}

async fn withdrawal_asks_first_then_erases_the_member(backend: Backend) {
    let app = TestApp::new(backend).await;
    join(&app, "u1", "김철수").await;
    let ask = app
        .skill("/skill/members/me/withdraw", &payload("u1").build())
        .await;
    assert!(ask.contains("정말 탈퇴할까요"), "{}", ask.text());
    let still = app.skill("/skill/members/me", &payload("u1").build()).await;
    assert!(still.contains("김철수"), "asking must not withdraw");

    let done = app
        .skill(
            "/skill/members/me/withdraw",
            &payload("u1").extra("confirm", "yes").build(),
        )
        .await;
    assert!(done.contains("탈퇴가 완료"), "{}", done.text());
    let gone = app.skill("/skill/members/me", &payload("u1").build()).await;
    assert!(gone.contains("회원가입이 필요해요"));

    let phone: Option<String> = junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT phone FROM members WHERE user_key = 'u1'").fetch_one(pool).await.unwrap()
    });
    assert_eq!(phone, None, "a withdrawn member's phone number is erased");
}

async fn a_withdrawn_member_can_join_again_and_their_name_is_free(backend: Backend) {
    let app = TestApp::new(backend).await;
    join(&app, "u1", "김철수").await;
    app.skill(
        "/skill/members/me/withdraw",
        &payload("u1").extra("confirm", "yes").build(),
    )
    .await;
    join(&app, "u2", "김철수").await;
    join(&app, "u1", "김영희").await;
    let profile = app.skill("/skill/members/me", &payload("u1").build()).await;
    assert!(profile.contains("김영희"));
}

async fn concurrent_joins_with_one_name_let_exactly_one_through(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::new(backend).await);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let body = payload(&format!("racer{i}"))
                .param("name", "같은이름")
                .param("phone", "01012345678")
                .build();
            app.skill("/skill/members/join", &body).await
        }));
    }
    let mut welcomed = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        if reply.contains("환영") {
            welcomed += 1;
        } else {
            assert!(reply.contains("이미 다른 회원이 사용 중"), "{}", reply.text());
        }
    }
    assert_eq!(welcomed, 1);
}

async fn concurrent_joins_by_one_user_create_one_member(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::new(backend).await);
    let mut tasks = Vec::new();
    for i in 0..10 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let body = payload("double-tapper")
                .param("name", &format!("이름{i}"))
                .param("phone", "01012345678")
                .build();
            app.skill("/skill/members/join", &body).await
        }));
    }
    let mut welcomed = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        if reply.contains("환영") {
            welcomed += 1;
        } else {
            assert!(reply.contains("이미 가입"), "{}", reply.text());
        }
    }
    assert_eq!(welcomed, 1);
    let count: i64 = junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(pool).await.unwrap()
    });
    assert_eq!(count, 1);
}

async fn mypage_offers_the_member_menu(backend: Backend) {
    let app = TestApp::new(backend).await;
    join(&app, "u1", "김철수").await;
    let reply = app.skill("/skill/members/mypage", &payload("u1").build()).await;
    let text = reply.text();
    for entry in ["김철수님의 마이페이지", "내 프로필", "연락처 변경", "회원탈퇴"] {
        assert!(text.contains(entry), "{entry} in {text}");
    }
}
