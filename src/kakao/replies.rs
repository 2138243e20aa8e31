//! Answers shared by many skills: problems, the "join first" prompt, and the fallbacks for failures.
//! Every one offers a way on, so the user is never left at a dead end.

use crate::blocks::{Block, Nav};
use kakao_skill::{SkillResponse, TextCard};

/// The user must join before using this skill.
pub fn join_first(nav: &Nav) -> SkillResponse {
    SkillResponse::new(TextCard::titled("회원가입이 필요해요").description(
        "중계나라의 거래 기능은 회원만 이용할 수 있어요. 이름과 연락처만 있으면 바로 가입할 수 있어요.",
    ))
    .quick_reply(nav.go("회원가입", Block::Join))
    .quick_reply(nav.go("처음으로", Block::Main))
}

/// The user's input or request could not be accepted; `message` says why and what to do.
pub fn problem(nav: &Nav, message: &str) -> SkillResponse {
    SkillResponse::text(message).quick_reply(nav.go("처음으로", Block::Main))
}

/// Something failed on our side (database, bug). Nothing the user did; nothing they need to repeat blindly.
pub fn trouble(nav: &Nav) -> SkillResponse {
    SkillResponse::text("일시적인 문제로 요청을 처리하지 못했어요. 잠시 후 다시 시도해 주세요.")
        .quick_reply(nav.go("처음으로", Block::Main))
}

/// The skill ran past its deadline. It may still finish, so the user is asked to check before retrying.
pub fn slow(nav: &Nav) -> SkillResponse {
    SkillResponse::text(
        "처리가 늦어지고 있어요. 잠시 후 결과를 확인해 주세요. 같은 요청을 바로 다시 보내지 않아도 돼요.",
    )
    .quick_reply(nav.go("처음으로", Block::Main))
}
