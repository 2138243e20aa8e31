//! 차단 skills: block a member (from a product's detail or an offer; asks first), the list of members
//! one blocked, and lifting a block. The rules are in [`crate::blocking`]; the blocked member is never
//! told.

use kakao_skill::{Carousel, SkillResponse, TextCard};

use crate::blocking;
use crate::domain::ids::MemberId;
use crate::kakao::extra::{CONFIRM_YES, ExtraKeys, Key, extra};
use crate::kakao::products::extra_id;
use crate::kakao::{Block, Nav, SkillCall, SkillError, SkillResult};
use crate::members::blocks::{self as member_blocks, Blocked};
use crate::present::date_kst;

/// Blocked members shown at once (a carousel holds ten cards).
const SHOWN: i64 = 10;

/// `/skill/members/block`: `clientExtra.memberId`; asks first, then with `clientExtra.confirm = yes`
/// blocks.
pub async fn block(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let (other, name) = other_member(&call).await?;
    let nav = call.nav();
    if other == member.id {
        return Err(SkillError::Refused("나를 차단할 수는 없어요.".into()));
    }
    if call.extra(Key::Confirm) != Some(CONFIRM_YES) {
        let yes = extra(Key::MemberId, other).put(Key::Confirm, CONFIRM_YES);
        return Ok(SkillResponse::new(
            TextCard::titled(format!("{name}님을 차단할까요?")).description(
                "서로의 상품이 보이지 않고, 서로 구매하거나 가격을 제안할 수 없어요. 상대에게는 알리지 않아요.",
            ),
        )
        .quick_reply(nav.quick_reply("차단", Block::MemberBlock, yes))
        .quick_reply(nav.go("아니요", Block::Main)));
    }
    let message =
        match member_blocks::block(&call.state.db, &call.state.block_roster, member.id, other).await? {
            Blocked::Blocked { open_trade: true } => {
                format!("{name}님을 차단했어요. 이미 진행 중인 거래는 그대로 마무리할 수 있어요.")
            }
            Blocked::Blocked { open_trade: false } => format!("{name}님을 차단했어요."),
            Blocked::AlreadyBlocked => format!("{name}님은 이미 차단했어요."),
            Blocked::Refused => return Err(SkillError::Refused(GONE.into())),
        };
    Ok(after(nav, message))
}

/// `/skill/members/blocks`: the members the caller blocked, newest first, each with 차단 해제.
pub async fn list(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let blocked = blocking::blocked_by(&call.state.db, member.id, SHOWN).await?;
    let nav = call.nav();
    let cards = blocked.iter().map(|b| {
        TextCard::titled(format!("{}님", b.name))
            .description(format!("{}에 차단", date_kst(b.blocked_at)))
            .button(nav.button("차단 해제", Block::MemberUnblock, extra(Key::MemberId, b.id)))
    });
    let response = match Carousel::from_cards(cards) {
        Some(cards) => SkillResponse::new(cards),
        None => SkillResponse::text("차단한 회원이 없어요."),
    };
    Ok(response.quick_reply(nav.go("처음으로", Block::Main)))
}

/// `/skill/members/unblock`: `clientExtra.memberId`.
pub async fn unblock(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let (other, name) = other_member(&call).await?;
    let message = if blocking::unblock(&call.state.db, member.id, other).await? {
        format!("{name}님의 차단을 풀었어요.")
    } else {
        format!("{name}님은 차단하지 않았어요.")
    };
    Ok(after(call.nav(), message))
}

const GONE: &str = "찾을 수 없는 회원이에요.";

/// The member of `clientExtra.memberId`, with their name, when they are an active member.
async fn other_member(call: &SkillCall) -> Result<(MemberId, String), SkillError> {
    let id = extra_id(call, Key::MemberId, "누구인지 알 수 없어요. 다시 골라 주세요.").map(MemberId::new)?;
    let name = blocking::member_name(&call.state.db, id)
        .await?
        .ok_or_else(|| SkillError::Refused(GONE.into()))?;
    Ok((id, name))
}

fn after(nav: &Nav, message: String) -> SkillResponse {
    SkillResponse::text(message)
        .quick_reply(nav.go("차단 목록", Block::MemberBlocks))
        .quick_reply(nav.go("처음으로", Block::Main))
}
