//! Conversation mode: `POST /skill/chat`, connected to the fallback block (every utterance no other
//! block matches) and the welcome block, runs the whole market without a single block id.
//!
//! Each utterance is, in order:
//! 1. **취소 / 처음으로**: the conversation in progress is forgotten and the menu shown;
//! 2. **a command**: a menu word or a block's utterance, optionally with `key=value` extras — what every
//!    quick reply and button says in this mode ([`crate::blocks::command`]) — or a short form such as
//!    `상세 12` or `검색 아이폰`; the skill of that block starts;
//! 3. **an answer** to the question the conversation is waiting on, checked with the same parser as the
//!    block's validation skill: refused with the reason and asked again, or kept;
//! 4. anything else: a friendly "I did not understand" with the menu.
//!
//! A skill whose parameters are all in runs exactly as its own block would run it (the same handler, a
//! payload with the same `params` and `clientExtra`), answering with conversation-mode links. Parameters
//! and their questions come from the catalogue (`skills/*.json`), so both modes ask the same thing.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use kakao_skill::{SkillResponse, TextCard};

use super::extra::Key;
use super::runtime::{SkillCall, SkillError, SkillResult};
use super::validation::FIELDS;
use super::{alerts, blocking, deals, members, notices, offers, orders, products, reports, reviews, watch};
use crate::blocks::{Block, Nav, parse_command};
use crate::clock::now_ms;
use crate::conversations::{self, Conversation};

/// The photo parameter of the registration preview: Kakao's secure-image plugin fills it, and the plugin
/// lives only in a block parameter, so it arrives through the "사진 등록" block ([`photo`]).
const PHOTOS: &str = "images";
/// What the "사진 등록" block's utterance is (the quick reply that leads there says it).
const PHOTO_BLOCK_UTTERANCE: &str = "사진 등록";

/// Words that leave whatever is in progress.
const LEAVE: &[&str] = &["취소", "처음으로", "처음", "메뉴", "홈"];

/// Short forms: a word, the block it opens, and what the rest of the utterance fills in.
const SHORT: &[(&str, Block, Rest)] = &[
    ("상세", Block::ProductDetail, Rest::Extra(Key::ProductId)),
    ("상품", Block::ProductDetail, Rest::Extra(Key::ProductId)),
    ("주문", Block::OrderDetail, Rest::Extra(Key::OrderId)),
    ("검색", Block::Search, Rest::Param("query")),
    ("찾기", Block::Search, Rest::Param("query")),
    ("키워드", Block::KeywordAdd, Rest::Param("keyword")),
    ("목록", Block::Products, Rest::Nothing),
    ("가입", Block::Join, Rest::Nothing),
    ("내정보", Block::Profile, Rest::Nothing),
    ("찜", Block::Favourites, Rest::Nothing),
    ("알림", Block::AlertSettings, Rest::Nothing),
];

/// What the words after a short form's first word are.
#[derive(Clone, Copy)]
enum Rest {
    Nothing,
    Extra(Key),
    Param(&'static str),
}

type Handler = fn(SkillCall) -> Pin<Box<dyn Future<Output = SkillResult> + Send>>;

/// The skill each block runs (the same handlers the per-block routes in `router.rs` use).
fn handler(block: Block) -> Option<Handler> {
    macro_rules! h {
        ($f:path) => {
            Some(|call| Box::pin($f(call)))
        };
    }
    match block {
        Block::Main => None,
        Block::Join => h!(members::join),
        Block::Profile => h!(members::profile),
        Block::ChangePhone => h!(members::change_phone),
        Block::Withdraw => h!(members::withdraw),
        Block::MyPage => h!(members::mypage),
        Block::Products => h!(products::browse::list),
        Block::Categories => h!(products::browse::categories),
        Block::Category => h!(products::browse::category),
        Block::Search => h!(products::browse::search),
        Block::ProductDetail => h!(products::browse::detail),
        Block::Preview => h!(products::register::preview),
        Block::Register => h!(products::register::register),
        Block::MyProducts => h!(products::browse::mine),
        Block::ProductStatus => h!(products::manage::change_status),
        Block::ProductPrice => h!(products::manage::change_price),
        Block::Notices => h!(notices::list),
        Block::NoticeDetail => h!(notices::detail),
        Block::Purchases => h!(orders::purchases),
        Block::Sales => h!(orders::sales),
        Block::OrderDetail => h!(orders::detail),
        Block::OrderTracking => h!(orders::tracking),
        Block::ConfirmPurchase => h!(orders::confirm_purchase),
        Block::ConfirmSale => h!(orders::confirm_sale),
        Block::OrderCancel => h!(orders::cancel),
        Block::Deals => h!(deals::list),
        Block::Keywords => h!(watch::keywords::list),
        Block::KeywordAdd => h!(watch::keywords::add),
        Block::KeywordRemove => h!(watch::keywords::remove),
        Block::Favourites => h!(watch::favourites::list),
        Block::FavouriteAdd => h!(watch::favourites::add),
        Block::FavouriteRemove => h!(watch::favourites::remove),
        Block::AlertSettings => h!(alerts::settings),
        Block::AlertsOff => h!(alerts::off),
        Block::OfferMake => h!(offers::make),
        Block::Offers => h!(offers::list),
        Block::OfferAccept => h!(offers::accept),
        Block::OfferDecline => h!(offers::decline),
        Block::ProductOffers => h!(offers::set_open),
        Block::ProductBump => h!(products::manage::bump),
        Block::Report => h!(reports::report),
        Block::ReviewComment => h!(reviews::comment),
        Block::MyOffers => h!(offers::mine),
        Block::ReviewsPending => h!(reviews::pending),
        Block::ProductBuyer => h!(products::manage::name_buyer),
        Block::MemberBlock => h!(blocking::block),
        Block::MemberBlocks => h!(blocking::list),
        Block::MemberUnblock => h!(blocking::unblock),
        Block::ReviewWrite => h!(reviews::write),
    }
}

/// A parameter a block's skill needs, as the catalogue declares it.
#[derive(Clone, Debug)]
struct Question {
    name: String,
    prompt: String,
    /// The validation field (`/skill/validate/{field}`) whose parser checks the answer.
    field: Option<String>,
}

/// For each block key: its required text parameters, in order, and every utterance that opens it.
struct Catalogue {
    questions: HashMap<String, Vec<Question>>,
    utterances: HashMap<String, Block>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut catalogue = Catalogue {
        questions: HashMap::new(),
        utterances: HashMap::new(),
    };
    for file in crate::blocks::CATALOGUE_FILES {
        let group: serde_json::Value = serde_json::from_str(file).expect("the catalogue is valid JSON");
        for skill in group["skills"].as_array().into_iter().flatten() {
            let Some(key) = skill["block"]["key"].as_str() else {
                continue;
            };
            let Some(block) = Block::from_key(key) else {
                continue;
            };
            for utterance in skill["block"]["utterances"].as_array().into_iter().flatten() {
                if let Some(u) = utterance.as_str() {
                    catalogue.utterances.insert(u.to_owned(), block);
                }
            }
            let questions = skill["params"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["required"] == true && p["entity"] == "sys.text")
                .map(|p| Question {
                    name: p["name"].as_str().unwrap_or_default().to_owned(),
                    prompt: p["prompt"].as_str().unwrap_or_default().to_owned(),
                    field: p["validation"]
                        .as_str()
                        .and_then(|v| v.rsplit('/').next())
                        .map(str::to_owned),
                })
                .collect();
            catalogue.questions.insert(key.to_owned(), questions);
        }
    }
    catalogue
});

/// The conversation skill: one skill for every block an operator connects in conversation mode. The
/// 사진 등록 block's plugin parameter and the event block's `batch` say which of them called; anything
/// else is the fallback or welcome block.
pub async fn chat(call: SkillCall) -> SkillResult {
    if call.payload.param(PHOTOS).is_some() {
        return photo(call).await;
    }
    if call.payload.param(crate::kakao::alerts::BATCH).is_some() {
        return crate::kakao::alerts::event(call).await;
    }
    conversation(call).await
}

/// An utterance of the fallback or welcome block.
async fn conversation(call: SkillCall) -> SkillResult {
    let nav = Nav::conversation();
    let db = call.state.db.clone();
    let user = call.payload.user_id().to_owned();
    let said = call.payload.user_request.utterance.trim().to_owned();
    let now = now_ms();

    if said.is_empty() || LEAVE.contains(&said.as_str()) {
        conversations::clear(&db, &user).await?;
        let greeting = if said == "취소" { "취소했어요. " } else { "" };
        return Ok(menu(&nav, &format!("{greeting}무엇을 도와드릴까요?")));
    }
    let conversation = match read_command(&said) {
        Some(started) => started,
        None => match conversations::load(&db, &user, now).await? {
            Some(waiting) => match answer(waiting, &said) {
                Ok(filled) => filled,
                Err(again) => return Ok(again.quick_reply(nav.go("취소", Block::Main))),
            },
            None => return Ok(menu(&nav, "무슨 말씀인지 잘 모르겠어요. 아래에서 골라 주세요.")),
        },
    };
    continue_with(call, nav, conversation, &user, now).await
}

/// Asks the next missing question, or runs the block's skill when nothing is missing.
async fn continue_with(
    call: SkillCall,
    nav: Nav,
    conversation: Conversation,
    user: &str,
    now: i64,
) -> SkillResult {
    let db = call.state.db.clone();
    let Some(block) = Block::from_key(&conversation.block) else {
        conversations::clear(&db, user).await?;
        return Ok(menu(&nav, "무엇을 도와드릴까요?"));
    };
    if block == Block::Preview && !conversation.extras.contains_key(Key::Category.name()) {
        // A product is registered in a category: the picker's rows come back with it.
        let picker = start(
            Block::Categories,
            BTreeMap::from([(Key::Purpose.name().into(), super::extra::PURPOSE_REGISTER.into())]),
            BTreeMap::new(),
        );
        return Box::pin(continue_with(call, nav, picker, user, now)).await;
    }
    if let Some(next) = next_question(&conversation) {
        conversations::save(&db, user, &conversation, now).await?;
        return Ok(SkillResponse::text(&next.prompt).quick_reply(nav.go("취소", Block::Main)));
    }
    if block == Block::Preview && !conversation.params.contains_key(PHOTOS) {
        conversations::save(&db, user, &conversation, now).await?;
        return Ok(SkillResponse::text(
            "마지막으로 상품 사진을 올려 주세요. 아래 '사진 등록'을 누르면 사진을 고를 수 있어요.",
        )
        .quick_reply(kakao_skill::QuickReply::message(
            "사진 등록",
            PHOTO_BLOCK_UTTERANCE,
        ))
        .quick_reply(nav.go("취소", Block::Main)));
    }
    if CATALOGUE
        .questions
        .get(block.key())
        .is_some_and(|q| !q.is_empty())
    {
        conversations::clear(&db, user).await?;
    }
    let Some(run) = handler(block) else {
        return Ok(unavailable(&nav));
    };
    let mut state = call.state.clone();
    state.nav = Arc::new(nav.clone());
    let mut payload = call.payload;
    payload.action.params = conversation.params.clone().into_iter().collect();
    payload.action.detail_params.clear();
    payload.action.client_extra = conversation.extras.into_iter().collect();
    match run(SkillCall { state, payload }).await {
        Ok(reply) => Ok(reply),
        Err(err @ (SkillError::Db(_) | SkillError::Internal(_))) => Err(err),
        Err(refused) => Ok(refused.into_reply(&nav)),
    }
}

/// A new conversation when `said` is a command: a block's utterance (with `key=value` extras), a
/// catalogue utterance, or a short form.
fn read_command(said: &str) -> Option<Conversation> {
    if let Some(command) = parse_command(said)
        && command.rest.is_empty()
    {
        return Some(start(
            command.block,
            command.extra.into_iter().collect(),
            BTreeMap::new(),
        ));
    }
    if let Some(block) = CATALOGUE.utterances.get(said) {
        return Some(start(*block, BTreeMap::new(), BTreeMap::new()));
    }
    let (first, rest) = said.split_once(char::is_whitespace).unwrap_or((said, ""));
    let rest = rest.trim();
    let (_, block, fills) = SHORT.iter().find(|(word, _, _)| *word == first)?;
    let (mut extras, mut params) = (BTreeMap::new(), BTreeMap::new());
    match fills {
        Rest::Nothing if rest.is_empty() => {}
        Rest::Extra(key) if !rest.is_empty() => {
            extras.insert(key.name().to_owned(), rest.to_owned());
        }
        Rest::Param(name) => {
            if !rest.is_empty() {
                params.insert((*name).to_owned(), rest.to_owned());
            }
        }
        _ => return None,
    }
    Some(start(*block, extras, params))
}

/// The first question of the conversation's block not answered yet.
fn next_question(conversation: &Conversation) -> Option<&'static Question> {
    CATALOGUE
        .questions
        .get(&conversation.block)?
        .iter()
        .find(|q| !conversation.params.contains_key(&q.name))
}

fn start(block: Block, extras: BTreeMap<String, String>, params: BTreeMap<String, String>) -> Conversation {
    Conversation {
        block: block.key().to_owned(),
        extras,
        params,
    }
}

/// Keeps `said` as the answer to the first missing question, checked like its validation skill would;
/// or the reason it was refused and the question again.
fn answer(mut conversation: Conversation, said: &str) -> Result<Conversation, SkillResponse> {
    let Some(question) = next_question(&conversation) else {
        return Ok(conversation);
    };
    let parser = question
        .field
        .as_deref()
        .and_then(|field| FIELDS.iter().find(|(name, _)| *name == field))
        .map(|(_, parse)| *parse);
    let value = match parser {
        Some(parse) => parse(said).map_err(|invalid| {
            SkillResponse::text(format!("{}\n\n{}", invalid.message(), question.prompt))
        })?,
        None => said.to_owned(),
    };
    conversation.params.insert(question.name.clone(), value);
    Ok(conversation)
}

/// The menu: what this market does, one tap each.
fn menu(nav: &Nav, text: &str) -> SkillResponse {
    let mut reply = SkillResponse::new(TextCard::titled("중계나라").description(text));
    for (label, block) in [
        ("상품목록", Block::Products),
        ("상품검색", Block::Search),
        ("카테고리", Block::Categories),
        ("핫딜", Block::Deals),
        ("마이페이지", Block::MyPage),
        ("찜 목록", Block::Favourites),
        ("키워드 알림", Block::Keywords),
        ("상품등록", Block::Preview),
        ("공지사항", Block::Notices),
        ("회원가입", Block::Join),
    ] {
        reply = reply.quick_reply(nav.go(label, block));
    }
    reply
}

/// A block without a skill of its own (the main menu).
fn unavailable(nav: &Nav) -> SkillResponse {
    menu(nav, "무엇을 도와드릴까요?")
}

/// The "사진 등록" block's skill: Kakao's secure-image plugin hands over the photos, which complete the
/// registration in progress (category and answers from the conversation); the preview follows.
pub async fn photo(call: SkillCall) -> SkillResult {
    let nav = Nav::conversation();
    let user = call.payload.user_id().to_owned();
    let now = now_ms();
    let photos = call.param(PHOTOS, "상품 사진을 올려 주세요.")?.to_owned();
    let waiting = conversations::load(&call.state.db, &user, now).await?;
    let Some(mut conversation) = waiting.filter(|c| c.block == Block::Preview.key()) else {
        return Ok(SkillResponse::text(
            "사진은 상품 등록 중에 올려 주세요. 먼저 '상품등록'으로 시작해 주세요.",
        )
        .quick_reply(nav.go("상품등록", Block::Preview))
        .quick_reply(nav.go("처음으로", Block::Main)));
    };
    conversation.params.insert(PHOTOS.into(), photos);
    continue_with(call, nav, conversation, &user, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_with_a_skill_runs_in_conversation_mode() {
        for block in Block::ALL {
            assert_eq!(handler(block).is_some(), block != Block::Main, "{}", block.key());
        }
    }

    #[test]
    fn the_catalogue_gives_each_question_with_its_parser() {
        let join = &CATALOGUE.questions["join"];
        let names: Vec<&str> = join.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["name", "phone"]);
        for question in CATALOGUE.questions.values().flatten() {
            assert!(!question.prompt.is_empty(), "{}", question.name);
            if let Some(field) = &question.field {
                assert!(FIELDS.iter().any(|(name, _)| name == field), "{field}");
            }
        }
        // Photos are not a question: they come through the 사진 등록 block.
        assert!(!CATALOGUE.questions["preview"].iter().any(|q| q.name == PHOTOS));
        assert_eq!(CATALOGUE.utterances.get("상품 보기"), Some(&Block::Products));
    }

    #[test]
    fn short_forms_fill_an_extra_or_a_parameter() {
        let detail = read_command("상세 12").unwrap();
        assert_eq!(
            (detail.block.as_str(), detail.extras["productId"].as_str()),
            ("product_detail", "12")
        );
        let search = read_command("검색 캠핑 의자").unwrap();
        assert_eq!(search.params["query"], "캠핑 의자");
        assert!(
            read_command("목록 많이").is_none(),
            "a short form that takes nothing takes nothing"
        );
        assert!(read_command("상세").is_none(), "상세 needs its product");
    }
}
