//! Skill payloads as Kakao sends them, with and without the optional parts.

use kakao_skill::SkillPayload;

/// A payload as Open Builder sends it from a block with parameters, a secure-image plugin value, a
/// context, and a tapped quick reply's extra.
const FULL: &str = r#"{
  "intent": {"id": "5f0b2c", "name": "상품등록", "extra": {"reason": {"code": 1, "message": "OK"}}},
  "userRequest": {
    "timezone": "Asia/Seoul",
    "params": {"ignoreMe": "true", "surface": "Kakaotalk.plusfriend"},
    "block": {"id": "5f0b2c", "name": "상품등록"},
    "utterance": "상품 등록할래요",
    "lang": "ko",
    "user": {
      "id": "4c1d9a7e0b3f2a8d6e5c4b3a29180716f5e4d3c2b1a09f8e7d6c5b4a39281706",
      "type": "botUserKey",
      "properties": {"plusfriendUserKey": "Ab1Cd2Ef3", "appUserId": "1234567", "isFriend": true, "bot_user_key": "x"}
    }
  },
  "bot": {"id": "63f5a1b2c3d4e5f6a7b8c9d0!", "name": "중계나라"},
  "action": {
    "name": "상품등록",
    "clientExtra": {"category": "digital", "page": 2},
    "params": {
      "productName": "아이폰 15",
      "price": 900000,
      "secureimage": "{\"privacyAgreement\":\"Y\",\"imageQuantity\":\"1\",\"secureUrls\":\"List(http://secure.kakaocdn.net/dna/a.jpg)\",\"expire\":\"2026-11-22T12:00:00\"}"
    },
    "id": "skill-1",
    "detailParams": {
      "productName": {"origin": "아이폰 15", "value": "아이폰 15", "groupName": ""},
      "price": {"origin": "90만원", "value": "900000", "groupName": ""}
    }
  },
  "contexts": [
    {"name": "draft", "lifespan": "4", "ttl": 600, "params": {"category": {"value": "digital", "resolvedValue": "디지털기기"}}}
  ],
  "somethingNew": {"kakao": "adds fields"}
}"#;

#[test]
fn a_full_payload_parses_with_every_part_available() {
    let p = SkillPayload::from_slice(FULL.as_bytes()).unwrap();
    assert_eq!(p.user_id().len(), 64);
    assert_eq!(p.plusfriend_user_key(), Some("Ab1Cd2Ef3"));
    assert_eq!(
        p.bot_id(),
        "63f5a1b2c3d4e5f6a7b8c9d0",
        "the development channel's ! is removed"
    );
    assert_eq!(p.param("productName"), Some("아이폰 15"));
    assert_eq!(p.param("price"), Some("900000"), "numbers are read as text");
    assert!(
        p.param("secureimage")
            .unwrap()
            .contains("List(http://secure.kakaocdn.net")
    );
    assert_eq!(p.extra("category"), Some("digital"));
    assert_eq!(p.extra("page"), Some("2"));
    assert_eq!(p.context_param("draft", "category"), Some("디지털기기"));
    assert_eq!(
        p.contexts[0].lifespan,
        Some(4),
        "a lifespan sent as a string is read"
    );
    assert_eq!(p.user_request.block.name, "상품등록");
}

#[test]
fn a_payload_without_optional_parts_parses() {
    let minimal = r#"{"userRequest": {"utterance": "프로필", "user": {"id": "abc", "type": "botUserKey"}},
                      "bot": {"id": "b"}, "action": {"params": {}}}"#;
    let p = SkillPayload::from_slice(minimal.as_bytes()).unwrap();
    assert_eq!(p.user_id(), "abc");
    assert_eq!(
        p.plusfriend_user_key(),
        None,
        "plusfriendUserKey is absent for unlinked users"
    );
    assert_eq!(p.extra("anything"), None, "clientExtra absent");
    assert!(p.contexts.is_empty(), "contexts absent");
}

#[test]
fn empty_and_null_optional_objects_are_tolerated() {
    let body = r#"{"intent": null, "userRequest": {"user": {"id": "abc", "properties": null}, "block": null},
                   "bot": null, "action": {"clientExtra": {}, "params": null, "detailParams": null}, "contexts": null}"#;
    let p = SkillPayload::from_slice(body.as_bytes()).unwrap();
    assert_eq!(p.user_id(), "abc");
    assert_eq!(p.bot_id(), "");
}

#[test]
fn blank_params_and_extras_count_as_missing() {
    let body = r#"{"userRequest": {"user": {"id": "abc"}}, "action": {"params": {"name": "  "}, "clientExtra": {"confirm": ""}}}"#;
    let p = SkillPayload::from_slice(body.as_bytes()).unwrap();
    assert_eq!(p.param("name"), None);
    assert_eq!(p.extra("confirm"), None);
}

#[test]
fn a_user_id_longer_than_kakaos_is_refused() {
    let body = format!(r#"{{"userRequest": {{"user": {{"id": "{}"}}}}}}"#, "a".repeat(71));
    assert!(SkillPayload::from_slice(body.as_bytes()).is_err());
}
