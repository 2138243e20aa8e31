//! The member skills: join, profile, phone change, withdrawal and the my-page menu.

use crate::domain::member::{MemberName, PhoneNumber};
use crate::kakao::extra::{CONFIRM_YES, Key, extra};
use crate::kakao::{Block, Nav, SkillCall, SkillError, SkillResult};
use crate::members::store::{self, JoinError, NewMember, WithdrawOutcome};
use crate::present::date_kst;
use kakao_skill::{Extra, ItemCard, ItemRow, ListCard, SkillResponse, TextCard};

/// Params `name`, `phone`. Joining twice, or with a name in use, is answered, not failed.
pub async fn join(call: SkillCall) -> SkillResult {
    let nav = call.nav();
    if let Some(member) = call.find_member().await? {
        return Ok(already_joined(nav, &member.name));
    }
    let name = MemberName::parse(call.param("name", "가입할 이름을 입력해 주세요.")?)?;
    let phone = PhoneNumber::parse(call.param("phone", "휴대폰 번호를 입력해 주세요.")?)?;
    let new = NewMember {
        user_key: call.payload.user_id(),
        plusfriend_key: call.payload.plusfriend_user_key(),
        name: &name,
        phone: &phone,
    };
    match store::insert(&call.state.db, new).await {
        Ok(member) => Ok(SkillResponse::new(
            TextCard::titled(format!("{}님, 환영해요!", member.name)).description(format!(
                "가입이 완료되었어요. 등급: {}\n이제 상품을 사고팔 수 있어요.",
                member.grade
            )),
        )
        .quick_reply(nav.go("마이페이지", Block::MyPage))
        .quick_reply(nav.go("처음으로", Block::Main))),
        Err(JoinError::AlreadyMember) => Ok(already_joined(nav, name.as_str())),
        Err(JoinError::NameTaken) => Ok(SkillResponse::text(format!(
            "'{name}'은(는) 이미 다른 회원이 사용 중인 이름이에요. 다른 이름으로 가입해 주세요."
        ))
        .quick_reply(nav.go("다시 가입하기", Block::Join))
        .quick_reply(nav.go("처음으로", Block::Main))),
        Err(JoinError::Db(e)) => Err(e.into()),
    }
}

fn already_joined(nav: &Nav, name: &str) -> SkillResponse {
    SkillResponse::text(format!("{name}님은 이미 가입하셨어요."))
        .quick_reply(nav.go("내 프로필", Block::Profile))
        .quick_reply(nav.go("처음으로", Block::Main))
}

/// Review texts shown on the profile.
const RECENT_COMMENTS: i64 = 2;

/// The caller's profile: grade, name, masked phone, join date, the reviews received and their newest texts.
pub async fn profile(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let received = crate::reviews::store::received(&call.state.db, member.id, RECENT_COMMENTS).await?;
    let (reviews, comments) = (received.summary, received.comments);
    let nav = call.nav();
    let mut card = ItemCard::new(ItemRow::new("등급", member.grade.label()))
        .head("내 프로필")
        .row(ItemRow::new("이름", &member.name))
        .row(ItemRow::new("연락처", member.phone.masked()))
        .row(ItemRow::new("가입일", date_kst(member.joined_at)))
        .row(ItemRow::new("받은 후기", reviews.line()));
    if !comments.is_empty() {
        let lines: Vec<String> = comments
            .iter()
            .map(|(good, text)| format!("{} \u{201c}{text}\u{201d}", if *good { "👍" } else { "👎" }))
            .collect();
        card = card.description(lines.join("\n"));
    }
    Ok(SkillResponse::new(card)
        .quick_reply(nav.go("연락처 변경", Block::ChangePhone))
        .quick_reply(nav.go("회원탈퇴", Block::Withdraw))
        .quick_reply(nav.go("마이페이지", Block::MyPage))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// Param `phone`: the new number.
pub async fn change_phone(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let phone = PhoneNumber::parse(call.param("phone", "새 휴대폰 번호를 입력해 주세요.")?)?;
    if !store::update_phone(&call.state.db, member.id, &phone).await? {
        return Err(SkillError::NotMember);
    }
    let nav = call.nav();
    Ok(
        SkillResponse::text(format!("연락처를 {}(으)로 바꿨어요.", phone.masked()))
            .quick_reply(nav.go("내 프로필", Block::Profile))
            .quick_reply(nav.go("처음으로", Block::Main)),
    )
}

/// Asks first; `clientExtra.confirm = yes` performs it. Refused while a trade is open.
pub async fn withdraw(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let nav = call.nav();
    if call.extra(Key::Confirm) != Some(CONFIRM_YES) {
        return Ok(SkillResponse::new(TextCard::titled("정말 탈퇴할까요?").description(
            "탈퇴하면 등록한 상품이 더 이상 보이지 않고, 연락처는 바로 지워져요. 나중에 다시 가입할 수 있어요.",
        ))
        .quick_reply(nav.quick_reply("탈퇴할게요", Block::Withdraw, extra(Key::Confirm, CONFIRM_YES)))
        .quick_reply(nav.go("취소", Block::MyPage)));
    }
    match store::withdraw(&call.state.db, &call.state.catalog, member.id).await? {
        WithdrawOutcome::Withdrawn => Ok(SkillResponse::text(
            "탈퇴가 완료되었어요. 그동안 중계나라를 이용해 주셔서 감사해요.",
        )
        .quick_reply(nav.go("처음으로", Block::Main))),
        WithdrawOutcome::OpenTrades(count) => Err(SkillError::Refused(format!(
            "진행 중인 거래가 {count}건 있어 탈퇴할 수 없어요. 거래를 마친 뒤 다시 시도해 주세요."
        ))),
        WithdrawOutcome::NotActive => Err(SkillError::NotMember),
    }
}

/// The my-page menu: the member's profile, their trades (a list card's five rows), the account, and what
/// they watch.
pub async fn mypage(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let nav = call.nav();
    let card = ListCard::new(
        format!("{}님의 마이페이지", member.name),
        nav.list_item("내 프로필", Block::Profile, Extra::new()),
    )
    .item(nav.list_item("구매 내역", Block::Purchases, Extra::new()))
    .item(nav.list_item("판매 내역", Block::Sales, Extra::new()))
    .item(nav.list_item("연락처 변경", Block::ChangePhone, Extra::new()))
    .item(nav.list_item("회원탈퇴", Block::Withdraw, Extra::new()));
    // The list card is full (five rows): what the member watches goes in quick replies.
    Ok(SkillResponse::new(card)
        .quick_reply(nav.go("찜 목록", Block::Favourites))
        .quick_reply(nav.go("내 제안", Block::MyOffers))
        .quick_reply(nav.go("후기 쓰기", Block::ReviewsPending))
        .quick_reply(nav.go("키워드 알림", Block::Keywords))
        .quick_reply(nav.go("처음으로", Block::Main)))
}
