//! 신고 skill: a member reports a product (from its detail) or a member (from an offer), in two taps — what
//! it is about, then why. The rules are in [`crate::reports`]; nobody is told who reported.

use kakao_skill::{SkillResponse, TextCard};

use crate::blocking;
use crate::domain::ids::MemberId;
use crate::kakao::extra::{ExtraKeys, Key, extra};
use crate::kakao::products::{extra_id, product_id};
use crate::kakao::{Block, SkillCall, SkillError, SkillResult};
use crate::reports::Reason;
use crate::reports::store::{self, Filed, Target};
use kakao_skill::Extra;

/// `/skill/reports`: `clientExtra.productId` or `clientExtra.memberId`; without `clientExtra.reason`, asks
/// why (one quick reply per [`Reason`]), with it files the report.
pub async fn report(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let (target, about, other) = target(&call).await?;
    let nav = call.nav();
    let target_extra = report_extra(target);
    let Some(reason) = call.extra(Key::Reason).and_then(Reason::parse) else {
        let mut ask = SkillResponse::new(
            TextCard::titled(format!("{about}을(를) 신고할까요?"))
                .description("신고 이유를 골라 주세요. 신고한 사실은 상대에게 알리지 않아요."),
        );
        for reason in Reason::ALL {
            let choice = target_extra.clone().put(Key::Reason, reason.key());
            ask = ask.quick_reply(nav.quick_reply(reason.label(), Block::Report, choice));
        }
        return Ok(ask.quick_reply(nav.go("취소", Block::Main)));
    };
    let state = &call.state;
    let threshold = state.config.market.reports_to_hold;
    let filed = store::file(&state.db, &state.catalog, member.id, target, reason, threshold).await?;
    let message = match filed {
        Filed::Filed { .. } => format!(
            "{about}에 대한 신고({})를 받았어요. 운영자가 확인할게요. 신고한 사실은 상대에게 알리지 않아요.",
            reason.label()
        ),
        Filed::AlreadyReported => format!("{about}은(는) 이미 신고했어요. 운영자가 확인하고 있어요."),
        Filed::Unavailable => return Err(SkillError::Refused(unavailable(target).into())),
    };
    // Most reporters also want to stop seeing the member: one tap away, still asking first.
    Ok(SkillResponse::text(message)
        .quick_reply(nav.quick_reply("차단하기", Block::MemberBlock, extra(Key::MemberId, other)))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// What the call reports, how to name it in the answer, and the member behind it (a product's seller).
async fn target(call: &SkillCall) -> Result<(Target, String, MemberId), SkillError> {
    if call.extra(Key::ProductId).is_some() {
        let id = product_id(call)?;
        let product = call.state.catalog.product(&call.state.db, id).await?;
        let product = Option::as_ref(&product)
            .filter(|p| p.status.is_public())
            .ok_or_else(|| SkillError::Refused(unavailable(Target::Product(id)).into()))?;
        return Ok((
            Target::Product(id),
            format!("'{}'", product.name),
            product.seller_id,
        ));
    }
    let id = extra_id(
        call,
        Key::MemberId,
        "무엇을 신고할지 알 수 없어요. 상품이나 주문에서 다시 골라 주세요.",
    )
    .map(MemberId::new)?;
    let name = blocking::member_name(&call.state.db, id)
        .await?
        .ok_or_else(|| SkillError::Refused(unavailable(Target::Member(id)).into()))?;
    Ok((Target::Member(id), format!("{name}님"), id))
}

fn unavailable(target: Target) -> &'static str {
    match target {
        Target::Product(_) => "신고할 수 없는 상품이에요. 내 상품이거나 삭제된 상품이에요.",
        Target::Member(_) => "신고할 수 없는 회원이에요.",
    }
}

/// The `clientExtra` naming `target` on the reason quick replies.
fn report_extra(target: Target) -> Extra {
    match target {
        Target::Product(id) => extra(Key::ProductId, id),
        Target::Member(id) => extra(Key::MemberId, id),
    }
}
