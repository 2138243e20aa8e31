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

/// The blocks our answers link to. `key` is the name in the blocks file; `utterance` the fallback text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Block {
    Main,
    Join,
    Profile,
    ChangePhone,
    Withdraw,
    MyPage,
    Products,
    Categories,
    Category,
    Search,
    ProductDetail,
    Preview,
    Register,
    MyProducts,
    ProductStatus,
    Notices,
    NoticeDetail,
    Purchases,
    Sales,
    OrderDetail,
    OrderTracking,
    ConfirmPurchase,
    ConfirmSale,
    OrderCancel,
    Deals,
}

impl Block {
    pub const ALL: [Block; 25] = [
        Block::Main,
        Block::Join,
        Block::Profile,
        Block::ChangePhone,
        Block::Withdraw,
        Block::MyPage,
        Block::Products,
        Block::Categories,
        Block::Category,
        Block::Search,
        Block::ProductDetail,
        Block::Preview,
        Block::Register,
        Block::MyProducts,
        Block::ProductStatus,
        Block::Notices,
        Block::NoticeDetail,
        Block::Purchases,
        Block::Sales,
        Block::OrderDetail,
        Block::OrderTracking,
        Block::ConfirmPurchase,
        Block::ConfirmSale,
        Block::OrderCancel,
        Block::Deals,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Main => "main",
            Self::Join => "join",
            Self::Profile => "profile",
            Self::ChangePhone => "change_phone",
            Self::Withdraw => "withdraw",
            Self::MyPage => "mypage",
            Self::Products => "products",
            Self::Categories => "categories",
            Self::Category => "category",
            Self::Search => "search",
            Self::ProductDetail => "product_detail",
            Self::Preview => "preview",
            Self::Register => "register",
            Self::MyProducts => "my_products",
            Self::ProductStatus => "product_status",
            Self::Notices => "notices",
            Self::NoticeDetail => "notice_detail",
            Self::Purchases => "purchases",
            Self::Sales => "sales",
            Self::OrderDetail => "order_detail",
            Self::OrderTracking => "order_tracking",
            Self::ConfirmPurchase => "confirm_purchase",
            Self::ConfirmSale => "confirm_sale",
            Self::OrderCancel => "order_cancel",
            Self::Deals => "deals",
        }
    }

    /// What the user would type to reach the block (the fallback `messageText`).
    pub fn utterance(self) -> &'static str {
        match self {
            Self::Main => "처음으로",
            Self::Join => "회원가입",
            Self::Profile => "프로필",
            Self::ChangePhone => "연락처변경",
            Self::Withdraw => "회원탈퇴",
            Self::MyPage => "마이페이지",
            Self::Products => "상품목록",
            Self::Categories => "카테고리",
            Self::Category => "카테고리상품",
            Self::Search => "상품검색",
            Self::ProductDetail => "상품상세",
            Self::Preview => "상품등록",
            Self::Register => "등록하기",
            Self::MyProducts => "내상품",
            Self::ProductStatus => "상품상태변경",
            Self::Notices => "공지사항",
            Self::NoticeDetail => "공지상세",
            Self::Purchases => "구매내역",
            Self::Sales => "판매내역",
            Self::OrderDetail => "주문상세",
            Self::OrderTracking => "운송장입력",
            Self::ConfirmPurchase => "구매확정",
            Self::ConfirmSale => "판매확정",
            Self::OrderCancel => "주문취소",
            Self::Deals => "핫딜",
        }
    }
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
