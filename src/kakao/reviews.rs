//! 거래 후기: from a completed order or direct trade, in three taps — how it went (좋았어요 / 아쉬웠어요), what
//! it was about (one tag of that kind, or none), written — then an optional short text; and the list of
//! trades still to review. The rules are in [`crate::reviews`].

use kakao_skill::{Carousel, Extra, SkillResponse, TextCard};

use crate::domain::ids::OrderId;
use crate::domain::review::ReviewComment;
use crate::kakao::extra::{ExtraKeys, Key, extra};
use crate::kakao::products::extra_id;
use crate::kakao::{Block, SkillCall, SkillError, SkillResult};
use crate::present::date_kst;
use crate::reviews::store::{self, Commented, Tag, Trade, Written};

/// The value of `clientExtra.rating` for a good review.
pub const GOOD: &str = "good";
/// The value of `clientExtra.rating` for a bad review.
pub const BAD: &str = "bad";
/// The value of `clientExtra.tag` for a review without a tag.
pub const NO_TAG: &str = "none";

/// `/skill/reviews/write`: `clientExtra.orderId` (or `tradeId`, a direct trade), then `rating` (`good`/`bad`), then `tag` (a tag's key
/// or `none`); each step asks for the next with quick replies carrying what was chosen so far.
pub async fn write(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let trade = trade(&call)?;
    let nav = call.nav();
    let order_extra = trade_extra(trade);
    let good = match call.extra(Key::Rating) {
        None => {
            return Ok(
                SkillResponse::text("거래는 어땠나요? 상대에게는 누가 썼는지와 함께 보여요.")
                    .quick_reply(nav.quick_reply(
                        "좋았어요",
                        Block::ReviewWrite,
                        order_extra.clone().put(Key::Rating, GOOD),
                    ))
                    .quick_reply(nav.quick_reply(
                        "아쉬웠어요",
                        Block::ReviewWrite,
                        order_extra.put(Key::Rating, BAD),
                    )),
            );
        }
        Some(GOOD) => true,
        Some(BAD) => false,
        Some(_) => return Err(SkillError::Refused("후기를 처음부터 다시 써 주세요.".into())),
    };
    let rating = if good { GOOD } else { BAD };
    let tag = match call.extra(Key::Tag) {
        None => {
            let tags = if good { Tag::GOOD } else { Tag::BAD };
            let with = order_extra.put(Key::Rating, rating);
            let question = if good {
                "어떤 점이 좋았나요?"
            } else {
                "어떤 점이 아쉬웠나요?"
            };
            let response = tags.into_iter().fold(SkillResponse::text(question), |r, tag| {
                r.quick_reply(nav.quick_reply(
                    tag.label(),
                    Block::ReviewWrite,
                    with.clone().put(Key::Tag, tag.key()),
                ))
            });
            return Ok(response.quick_reply(nav.quick_reply(
                "고르지 않고 보내기",
                Block::ReviewWrite,
                with.put(Key::Tag, NO_TAG),
            )));
        }
        Some(NO_TAG) => None,
        Some(key) => Some(
            Tag::parse(key)
                .filter(|t| t.is_good() == good)
                .ok_or_else(|| SkillError::Refused("후기를 처음부터 다시 써 주세요.".into()))?,
        ),
    };
    let (db, outbox) = (&call.state.db, &call.state.outbox);
    let message = match store::write(db, outbox, trade, member.id, good, tag).await? {
        Written::Written => "후기를 남겼어요. 고마워요! 한마디를 덧붙일 수도 있어요.",
        Written::AlreadyWritten => "이 거래의 후기는 이미 남겼어요.",
        Written::NotAllowed => {
            return Err(SkillError::Refused(
                "거래가 끝난 내 거래에만 후기를 남길 수 있어요.".into(),
            ));
        }
    };
    let answer = SkillResponse::text(message).quick_reply(nav.quick_reply(
        "한마디 남기기",
        Block::ReviewComment,
        trade_extra(trade),
    ));
    Ok(back(nav, trade, answer))
}

/// `/skill/reviews/comment`: `clientExtra.orderId` (or `tradeId`) and `params.comment` (a [`ReviewComment`]): the short
/// text of the caller's review of that order, added once.
pub async fn comment(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let trade = trade(&call)?;
    let text = ReviewComment::parse(call.param("comment", ReviewComment::RULE)?)?;
    let message = match store::add_comment(&call.state.db, trade, member.id, &text).await? {
        Commented::Added => "후기에 한마디를 남겼어요. 상대의 프로필에 보여요.",
        Commented::AlreadyHas => "이 후기에는 이미 한마디를 남겼어요. 후기는 바꿀 수 없어요.",
        Commented::NoReview => {
            return Err(SkillError::Refused("먼저 이 거래의 후기를 남겨 주세요.".into()));
        }
    };
    Ok(back(call.nav(), trade, SkillResponse::text(message)))
}

/// Trades shown at once in the list to review (a carousel holds ten cards).
const SHOWN: i64 = 10;

/// `/skill/reviews/pending`: the caller's completed trades (paid orders and direct trades) not reviewed
/// yet, newest first, each with 후기 쓰기.
pub async fn pending(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let trades = store::pending(&call.state.db, member.id, SHOWN).await?;
    let nav = call.nav();
    let cards = trades.iter().map(|t| {
        TextCard::titled(&t.item_name)
            .description(format!(
                "{}님과의 거래 · {} 완료",
                t.other_name,
                date_kst(t.completed_at)
            ))
            .button(nav.button("후기 쓰기", Block::ReviewWrite, trade_extra(t.trade)))
    });
    let response = match Carousel::from_cards(cards) {
        Some(cards) => SkillResponse::new(cards),
        None => SkillResponse::text("후기를 남길 거래가 없어요. 거래가 끝나면 여기에 보여요."),
    };
    Ok(response
        .quick_reply(nav.go("마이페이지", Block::MyPage))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// The trade of `clientExtra.orderId`, or else of `clientExtra.tradeId`.
fn trade(call: &SkillCall) -> Result<Trade, SkillError> {
    if call.extra(Key::TradeId).is_some() && call.extra(Key::OrderId).is_none() {
        return extra_id(call, Key::TradeId, MISSING_TRADE).map(Trade::Direct);
    }
    extra_id(call, Key::OrderId, MISSING_TRADE).map(|id| Trade::Order(OrderId::new(id)))
}

const MISSING_TRADE: &str = "어떤 거래인지 알 수 없어요. 주문이나 '후기 쓰기'에서 다시 골라 주세요.";

/// The `clientExtra` naming `trade` on the next step's buttons.
fn trade_extra(trade: Trade) -> Extra {
    match trade {
        Trade::Order(order) => extra(Key::OrderId, order),
        Trade::Direct(id) => extra(Key::TradeId, id),
    }
}

/// The way back after a step: the order, or the list of trades to review.
fn back(nav: &crate::kakao::Nav, trade: Trade, answer: SkillResponse) -> SkillResponse {
    let answer = match trade {
        Trade::Order(order) => {
            answer.quick_reply(nav.quick_reply("주문 보기", Block::OrderDetail, extra(Key::OrderId, order)))
        }
        Trade::Direct(_) => answer.quick_reply(nav.go("후기 쓸 거래", Block::ReviewsPending)),
    };
    answer.quick_reply(nav.go("처음으로", Block::Main))
}
