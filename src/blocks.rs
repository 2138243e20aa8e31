//! The operator's Open Builder blocks: which of our block keys has which block id, and how an answer
//! links to a block. It is configuration (read once from `KAKAO_BLOCKS_FILE`), so it sits beside
//! [`crate::config`] below the application state; the Kakao face ([`crate::kakao`]) builds its answers
//! with it.
//!
//! Multi-step flows (confirmations, pagination) need `block` quick replies, because only they carry
//! `extra` back to us as `clientExtra`, and a block action needs the id Open Builder gave the block.
//! Those ids differ per bot, so an operator lists them in `KAKAO_BLOCKS_FILE` (TOML, `key = "id"`).
//! A block without an id falls back to a `message` quick reply whose text is the block's utterance and the
//! extra as `key=value` words ([`command`]): it still reaches the block on a bot whose blocks use those
//! utterances (without `extra`), and the conversation skill reads all of it back. In conversation mode
//! ([`Nav::conversation`]) every link is such a message.

use std::collections::HashMap;
use std::path::Path;

use kakao_skill::{BlockId, Button, Extra, ListItem, QuickReply};

/// The skill catalogue as shipped (`skills/*.json`, one document per group of skills): the blocks an
/// operator creates, their utterances and parameters. The conversation skill asks its questions from it and
/// the emulator simulates Open Builder with it.
pub const CATALOGUE_FILES: [&str; 13] = [
    include_str!("../skills/chat.json"),
    include_str!("../skills/members.json"),
    include_str!("../skills/products.json"),
    include_str!("../skills/orders.json"),
    include_str!("../skills/notices.json"),
    include_str!("../skills/deals.json"),
    include_str!("../skills/watch.json"),
    include_str!("../skills/offers.json"),
    include_str!("../skills/blocking.json"),
    include_str!("../skills/reviews.json"),
    include_str!("../skills/reports.json"),
    include_str!("../skills/notifications.json"),
    include_str!("../skills/validation.json"),
];

/// Declares [`Block`] from one table: variant, key in the blocks file, and the utterance a user would type
/// to reach it (the fallback `messageText` when the block has no id).
macro_rules! blocks {
    ($($variant:ident $key:literal $utterance:literal,)*) => {
        /// The blocks our answers link to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Block {
            $($variant,)*
        }

        impl Block {
            /// Every block, in the order of the table.
            pub const ALL: [Block; [$($key),*].len()] = [$(Block::$variant,)*];

            /// The block's name in the blocks file.
            pub fn key(self) -> &'static str {
                match self {
                    $(Self::$variant => $key,)*
                }
            }

            /// The block whose key (in the blocks file) is `key`.
            pub fn from_key(key: &str) -> Option<Block> {
                Self::ALL.into_iter().find(|b| b.key() == key)
            }

            /// What the user would type to reach the block (the fallback `messageText`).
            pub fn utterance(self) -> &'static str {
                match self {
                    $(Self::$variant => $utterance,)*
                }
            }
        }
    };
}

blocks! {
    Main             "main"               "처음으로",
    Join             "join"               "회원가입",
    Profile          "profile"            "프로필",
    ChangePhone      "change_phone"       "연락처변경",
    Withdraw         "withdraw"           "회원탈퇴",
    MyPage           "mypage"             "마이페이지",
    Products         "products"           "상품목록",
    Categories       "categories"         "카테고리",
    Category         "category"           "카테고리상품",
    Search           "search"             "상품검색",
    ProductDetail    "product_detail"     "상품상세",
    Preview          "preview"            "상품등록",
    Register         "register"           "등록하기",
    MyProducts       "my_products"        "내상품",
    ProductStatus    "product_status"     "상품상태변경",
    Notices          "notices"            "공지사항",
    NoticeDetail     "notice_detail"      "공지상세",
    Purchases        "purchases"          "구매내역",
    Sales            "sales"              "판매내역",
    OrderDetail      "order_detail"       "주문상세",
    OrderTracking    "order_tracking"     "운송장입력",
    ConfirmPurchase  "confirm_purchase"   "구매확정",
    ConfirmSale      "confirm_sale"       "판매확정",
    OrderCancel      "order_cancel"       "주문취소",
    Deals            "deals"              "핫딜",
    Keywords         "keywords"           "키워드알림",
    KeywordAdd       "keyword_add"        "키워드추가",
    KeywordRemove    "keyword_remove"     "키워드삭제",
    Favourites       "favourites"         "찜목록",
    FavouriteAdd     "favourite_add"      "찜하기",
    FavouriteRemove  "favourite_remove"   "찜해제",
    ProductPrice     "product_price"      "가격변경",
    AlertSettings    "alert_settings"     "알림설정",
    AlertsOff        "alerts_off"         "알림끄기",
    OfferMake        "offer_make"         "가격제안",
    Offers           "offers"             "받은제안",
    OfferAccept      "offer_accept"       "제안수락",
    OfferDecline     "offer_decline"      "제안거절",
    ProductOffers    "product_offers"     "제안설정",
    MemberBlock      "member_block"       "차단하기",
    MemberBlocks     "member_blocks"      "차단목록",
    MemberUnblock    "member_unblock"     "차단해제",
    ReviewWrite      "review_write"       "후기쓰기",
    ProductBump      "product_bump"       "끌어올리기",
    Report           "report"             "신고하기",
    ReviewComment    "review_comment"     "후기한마디",
    MyOffers         "my_offers"          "내제안",
    ReviewsPending   "reviews_pending"    "후기쓸거래",
    ProductBuyer     "product_buyer"      "예약자지정",
}

/// Block ids known for this bot (none in conversation mode, [`Nav::conversation`]).
#[derive(Clone, Debug, Default)]
pub struct Nav {
    ids: HashMap<Block, BlockId>,
}

#[derive(Debug, thiserror::Error)]
pub enum NavError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
}

impl Nav {
    /// Reads a blocks file: a TOML table of `key = "blockId"`. Unknown keys are errors (likely typos).
    pub fn load(path: &Path) -> Result<Self, NavError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| NavError::Read {
            path: shown.clone(),
            source,
        })?;
        let nav = Self::parse(&text).map_err(|problem| NavError::Invalid {
            path: shown.clone(),
            problem,
        })?;
        // The template's ids would make every link lead nowhere, silently: refuse them.
        let mut placeholders: Vec<&str> = Block::ALL
            .into_iter()
            .filter(|b| nav.id(*b).is_some_and(|id| is_placeholder(id.as_str())))
            .map(Block::key)
            .collect();
        placeholders.sort_unstable();
        if !placeholders.is_empty() {
            let problem = format!(
                "{} still hold the example's placeholder ids: copy each block's id from Open Builder \
                 (the end of …/block/<blockId>) or leave the key out",
                placeholders.join(", ")
            );
            return Err(NavError::Invalid { path: shown, problem });
        }
        Ok(nav)
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        let mut ids = HashMap::new();
        for (key, value) in table {
            let block = Block::from_key(&key).ok_or_else(|| format!("unknown block key `{key}`"))?;
            let id = value
                .as_str()
                .and_then(BlockId::new)
                .ok_or_else(|| format!("`{key}` must be a block id string"))?;
            ids.insert(block, id);
        }
        Ok(Self { ids })
    }

    /// Links for conversation mode (`/skill/chat`, behind the fallback block): no block ids, so each
    /// quick reply, button and list row is a message naming the block and its extra ([`command`]),
    /// whatever ids the operator configured for the per-block skills.
    pub fn conversation() -> Self {
        Self::default()
    }

    pub fn id(&self, block: Block) -> Option<&BlockId> {
        self.ids.get(&block)
    }

    /// A quick reply to `block`, carrying `extra` when the block id is known.
    pub fn quick_reply(&self, label: &str, block: Block, extra: Extra) -> QuickReply {
        match self.id(block) {
            Some(id) => QuickReply::block(label, id.clone(), extra),
            None => QuickReply::message(label, command(block, &extra)),
        }
    }

    /// A quick reply to `block` without extra.
    pub fn go(&self, label: &str, block: Block) -> QuickReply {
        self.quick_reply(label, block, Extra::new())
    }

    /// A card button to `block`.
    pub fn button(&self, label: &str, block: Block, extra: Extra) -> Button {
        match self.id(block) {
            Some(id) => Button::block(label, id.clone(), extra),
            None => Button::message(label, command(block, &extra)),
        }
    }

    /// A list-card row that opens `block`.
    pub fn list_item(&self, title: &str, block: Block, extra: Extra) -> ListItem {
        let item = ListItem::new(title);
        match self.id(block) {
            Some(id) => item.block(id.clone(), extra),
            None => item.message(command(block, &extra)),
        }
    }
}

/// An id of `skills/blocks.example.toml` (`0000000000000000000000NN`), never a real block's.
fn is_placeholder(id: &str) -> bool {
    id.len() == 24 && id.starts_with("0000000000000000")
}

/// The message that opens `block` with `extra` in conversation mode: the block's utterance, then
/// `key=value` for each extra, values with `%`, spaces and line breaks escaped (`%25`, `%20`, `%0A`).
/// `상품상세 productId=12` is what the user appears to say when they tap 상세보기.
pub fn command(block: Block, extra: &Extra) -> String {
    let mut text = block.utterance().to_owned();
    for (key, value) in extra.iter() {
        text.push(' ');
        text.push_str(key);
        text.push('=');
        for c in value.chars() {
            match c {
                '%' => text.push_str("%25"),
                ' ' => text.push_str("%20"),
                '\n' => text.push_str("%0A"),
                c => text.push(c),
            }
        }
    }
    text
}

/// A [`command`] read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The block its first word names.
    pub block: Block,
    /// The `key=value` pairs after it, unescaped.
    pub extra: Vec<(String, String)>,
    /// The other words after the first, in order (`12` of `상품상세 12`).
    pub rest: String,
}

/// Reads a [`command`] back, or `None` when the first word names no block.
pub fn parse_command(text: &str) -> Option<Command> {
    let mut words = text.split_whitespace();
    let first = words.next()?;
    let block = Block::ALL.into_iter().find(|b| b.utterance() == first)?;
    let mut pairs = Vec::new();
    let mut rest = Vec::new();
    for word in words {
        match word.split_once('=') {
            Some((key, value)) if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric()) => {
                pairs.push((key.to_owned(), unescape(value)));
            }
            _ => rest.push(word),
        }
    }
    Some(Command {
        block,
        extra: pairs,
        rest: rest.join(" "),
    })
}

fn unescape(value: &str) -> String {
    value.replace("%20", " ").replace("%0A", "\n").replace("%25", "%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocks_file_maps_keys_to_ids() {
        let nav = Nav::parse("main = \"abc123\"\nwithdraw = \"def456\"").unwrap();
        assert_eq!(nav.id(Block::Main).unwrap().as_str(), "abc123");
        assert!(nav.id(Block::Join).is_none());
    }

    #[test]
    fn the_templates_placeholder_ids_are_refused_when_loaded() {
        let dir = std::env::temp_dir().join(format!("blocks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("blocks.toml");
        let template = include_str!("../skills/blocks.example.toml");
        std::fs::write(&path, template).unwrap();
        let err = Nav::load(&path).unwrap_err().to_string();
        assert!(err.contains("placeholder") && err.contains("withdraw"), "{err}");
        std::fs::write(&path, "main = \"65a1f1d3a9c04e2b7f6d8e11\"").unwrap();
        assert!(Nav::load(&path).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_keys_and_bad_ids_are_refused() {
        assert!(Nav::parse("mian = \"abc\"").unwrap_err().contains("mian"));
        assert!(Nav::parse("main = 3").is_err());
        assert!(Nav::parse("main = \"has space\"").is_err());
    }

    #[test]
    fn a_command_reads_back_as_the_block_and_extra_it_was_made_from() {
        let extra = Extra::new()
            .with("query", "아이폰 15 %할인\n")
            .with("cursor", "12");
        let text = command(Block::Search, &extra);
        assert_eq!(text, "상품검색 cursor=12 query=아이폰%2015%20%25할인%0A");
        let read = parse_command(&text).unwrap();
        assert_eq!(read.block, Block::Search);
        assert_eq!(
            read.extra,
            [
                ("cursor".into(), "12".into()),
                ("query".into(), "아이폰 15 %할인\n".into())
            ]
        );
        assert_eq!(read.rest, "");
        assert_eq!(command(Block::Main, &Extra::new()), "처음으로");
        let read = parse_command("상품상세 12").unwrap();
        assert_eq!(
            (read.block, read.extra.len(), read.rest.as_str()),
            (Block::ProductDetail, 0, "12")
        );
        assert!(parse_command("안녕하세요 반가워요").is_none());
    }

    #[test]
    fn in_conversation_mode_links_are_messages_with_their_extra() {
        let nav = Nav::conversation();
        let reply = serde_json::to_value(nav.quick_reply(
            "더보기",
            Block::Products,
            Extra::new().with("cursor", "7"),
        ))
        .unwrap();
        assert_eq!(reply["action"], "message");
        assert_eq!(reply["messageText"], "상품목록 cursor=7");
    }

    #[test]
    fn every_block_key_and_utterance_is_distinct() {
        let keys: std::collections::HashSet<_> = Block::ALL.iter().map(|b| b.key()).collect();
        let utterances: std::collections::HashSet<_> = Block::ALL.iter().map(|b| b.utterance()).collect();
        assert_eq!(keys.len(), Block::ALL.len());
        assert_eq!(utterances.len(), Block::ALL.len());
    }
}
