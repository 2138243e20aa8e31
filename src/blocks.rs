//! The operator's Open Builder blocks: which of our block keys has which block id, and how an answer
//! links to a block. It is configuration (read once from `KAKAO_BLOCKS_FILE`), so it sits beside
//! [`crate::config`] below the application state; the Kakao face ([`crate::kakao`]) builds its answers
//! with it.
//!
//! Multi-step flows (confirmations, pagination) need `block` quick replies, because only they carry
//! `extra` back to us as `clientExtra`, and a block action needs the id Open Builder gave the block.
//! Those ids differ per bot, so an operator lists them in `KAKAO_BLOCKS_FILE` (TOML, `key = "id"`).
//! A block without an id falls back to a `message` quick reply whose text is the block's utterance, which
//! still navigates (without `extra`) on a bot whose blocks use those utterances.

use std::collections::HashMap;
use std::path::Path;

use kakao_skill::{BlockId, Button, Extra, ListItem, QuickReply};

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
}

/// Block ids known for this bot.
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
        Self::parse(&text).map_err(|problem| NavError::Invalid { path: shown, problem })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        let mut ids = HashMap::new();
        for (key, value) in table {
            let block = Block::ALL
                .into_iter()
                .find(|b| b.key() == key)
                .ok_or_else(|| format!("unknown block key `{key}`"))?;
            let id = value
                .as_str()
                .and_then(BlockId::new)
                .ok_or_else(|| format!("`{key}` must be a block id string"))?;
            ids.insert(block, id);
        }
        Ok(Self { ids })
    }

    pub fn id(&self, block: Block) -> Option<&BlockId> {
        self.ids.get(&block)
    }

    /// A quick reply to `block`, carrying `extra` when the block id is known.
    pub fn quick_reply(&self, label: &str, block: Block, extra: Extra) -> QuickReply {
        match self.id(block) {
            Some(id) => QuickReply::block(label, id.clone(), extra),
            None => QuickReply::message(label, block.utterance()),
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
            None => Button::message(label, block.utterance()),
        }
    }

    /// A list-card row that opens `block`.
    pub fn list_item(&self, title: &str, block: Block, extra: Extra) -> ListItem {
        let item = ListItem::new(title);
        match self.id(block) {
            Some(id) => item.block(id.clone(), extra),
            None => item.message(block.utterance()),
        }
    }
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
    fn unknown_keys_and_bad_ids_are_refused() {
        assert!(Nav::parse("mian = \"abc\"").unwrap_err().contains("mian"));
        assert!(Nav::parse("main = 3").is_err());
        assert!(Nav::parse("main = \"has space\"").is_err());
    }

    #[test]
    fn every_block_key_and_utterance_is_distinct() {
        let keys: std::collections::HashSet<_> = Block::ALL.iter().map(|b| b.key()).collect();
        let utterances: std::collections::HashSet<_> = Block::ALL.iter().map(|b| b.utterance()).collect();
        assert_eq!(keys.len(), Block::ALL.len());
        assert_eq!(utterances.len(), Block::ALL.len());
    }
}
