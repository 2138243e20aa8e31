//! The output components of a skill response (simpleText … carousel) and their buttons.
//!
//! Each component keeps Kakao's limits in its types: required fields are constructor arguments, texts are
//! [`Text`] with the component's maximum, and adding past a count limit is refused (the item is dropped
//! and a warning logged, since a dropped button is a bug in the caller, never in the user's input).
//! Limits that depend on where a component is placed — two buttons side by side, a card inside a
//! carousel — are applied when it is placed.

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use super::text::{BlockId, Extra, PhoneDigits, Text, WebUrl};

/// Longest button or quick-reply label Kakao shows.
pub const LABEL_MAX: usize = 14;
/// Longest label when two buttons stand side by side.
pub const SIDE_BY_SIDE_LABEL_MAX: usize = 8;
/// Longest text of a `message` action or simpleText.
pub const MESSAGE_MAX: usize = 1000;

/// Pushes `item` unless `items` already holds `max`; a refused item is logged, not shown.
pub(crate) fn push_bounded<T>(items: &mut Vec<T>, max: usize, item: T, what: &'static str) -> bool {
    if items.len() < max {
        items.push(item);
        true
    } else {
        tracing::warn!(what, max, "kakao limit reached; item dropped");
        false
    }
}

// ---------------------------------------------------------------------------------------------
// Buttons

/// What a button does when tapped.
#[derive(Clone, Debug, PartialEq)]
pub enum ButtonAction {
    /// Opens a web page.
    WebLink(WebUrl),
    /// Sends `text` as if the user had typed it.
    Message(Text<MESSAGE_MAX>),
    /// Dials a number.
    Phone(PhoneDigits),
    /// Jumps to a block, optionally echoing a message and carrying `extra` to its skill.
    Block {
        block_id: BlockId,
        message_text: Option<Text<MESSAGE_MAX>>,
        extra: Extra,
    },
    /// Kakao's share sheet for the card.
    Share,
    /// Hands the chat to a human operator.
    Operator,
}

/// A card button: a label of at most 14 characters and an action.
#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    label: Text<LABEL_MAX>,
    action: ButtonAction,
}

impl Button {
    pub fn new(label: impl AsRef<str>, action: ButtonAction) -> Self {
        Self {
            label: Text::new(label),
            action,
        }
    }

    pub fn web_link(label: impl AsRef<str>, url: WebUrl) -> Self {
        Self::new(label, ButtonAction::WebLink(url))
    }

    pub fn message(label: impl AsRef<str>, text: impl AsRef<str>) -> Self {
        Self::new(label, ButtonAction::Message(Text::new(text)))
    }

    pub fn phone(label: impl AsRef<str>, number: PhoneDigits) -> Self {
        Self::new(label, ButtonAction::Phone(number))
    }

    pub fn block(label: impl AsRef<str>, block_id: BlockId, extra: Extra) -> Self {
        let label = Text::new(label);
        let message_text = Some(Text::new(label.as_str()));
        Self {
            label,
            action: ButtonAction::Block {
                block_id,
                message_text,
                extra,
            },
        }
    }

    pub fn share(label: impl AsRef<str>) -> Self {
        Self::new(label, ButtonAction::Share)
    }

    pub fn operator(label: impl AsRef<str>) -> Self {
        Self::new(label, ButtonAction::Operator)
    }

    pub fn label(&self) -> &str {
        self.label.as_str()
    }

    pub fn action(&self) -> &ButtonAction {
        &self.action
    }

    /// Writes the button with its label cut to `label_max` characters.
    fn serialize_with<S: Serializer>(&self, label_max: usize, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let label = if self.label.char_count() > label_max {
            super::text::fit(self.label.as_str(), label_max)
        } else {
            self.label.as_str().to_owned()
        };
        map.serialize_entry("label", &label)?;
        match &self.action {
            ButtonAction::WebLink(url) => {
                map.serialize_entry("action", "webLink")?;
                map.serialize_entry("webLinkUrl", url)?;
            }
            ButtonAction::Message(text) => {
                map.serialize_entry("action", "message")?;
                map.serialize_entry("messageText", text)?;
            }
            ButtonAction::Phone(number) => {
                map.serialize_entry("action", "phone")?;
                map.serialize_entry("phoneNumber", number)?;
            }
            ButtonAction::Block {
                block_id,
                message_text,
                extra,
            } => {
                map.serialize_entry("action", "block")?;
                map.serialize_entry("blockId", block_id)?;
                if let Some(text) = message_text {
                    map.serialize_entry("messageText", text)?;
                }
                if !extra.is_empty() {
                    map.serialize_entry("extra", extra)?;
                }
            }
            ButtonAction::Share => map.serialize_entry("action", "share")?,
            ButtonAction::Operator => map.serialize_entry("action", "operator")?,
        }
        map.end()
    }
}

/// The buttons of one card, at most `MAX`. Two buttons are shown side by side, so their labels are cut
/// to 8 characters when written; listCard buttons are always side by side.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Buttons<const MAX: usize> {
    items: Vec<Button>,
}

impl<const MAX: usize> Buttons<MAX> {
    fn push(&mut self, button: Button) {
        push_bounded(&mut self.items, MAX, button, "card buttons");
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Button> {
        self.items.iter()
    }
}

impl<const MAX: usize> Serialize for Buttons<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let label_max = if self.items.len() == 2 || MAX == 2 {
            SIDE_BY_SIDE_LABEL_MAX
        } else {
            LABEL_MAX
        };
        s.collect_seq(self.items.iter().map(|b| LabelFitted(b, label_max)))
    }
}

struct LabelFitted<'a>(&'a Button, usize);

impl Serialize for LabelFitted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_with(self.1, s)
    }
}

// ---------------------------------------------------------------------------------------------
// Thumbnails and profile

/// An image on a card. `fixed_ratio` pads the image into a square and needs its size.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Thumbnail {
    image_url: WebUrl,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<Link>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    fixed_ratio: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Link {
    web: WebUrl,
}

impl Thumbnail {
    pub fn new(image_url: WebUrl) -> Self {
        Self {
            image_url,
            link: None,
            fixed_ratio: false,
            width: None,
            height: None,
        }
    }

    /// A thumbnail shown uncropped in a square; Kakao needs the pixel size for that.
    pub fn fixed_ratio(image_url: WebUrl, width: std::num::NonZeroU32, height: std::num::NonZeroU32) -> Self {
        Self {
            fixed_ratio: true,
            width: Some(width.get()),
            height: Some(height.get()),
            ..Self::new(image_url)
        }
    }

    pub fn with_link(mut self, url: WebUrl) -> Self {
        self.link = Some(Link { web: url });
        self
    }
}

/// The seller line of a commerce card.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    nickname: Text<15>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_url: Option<WebUrl>,
}

impl Profile {
    pub fn new(nickname: impl AsRef<str>, image_url: Option<WebUrl>) -> Self {
        Self {
            nickname: Text::new(nickname),
            image_url,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Components

/// A speech bubble of text (≤ 1000 characters; Kakao folds it after ~400).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimpleText {
    text: Text<MESSAGE_MAX>,
}

impl SimpleText {
    pub fn new(text: impl AsRef<str>) -> Self {
        Self {
            text: Text::new(text),
        }
    }

    pub fn text(&self) -> &str {
        self.text.as_str()
    }
}

/// A single image with its (required) alternative text.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleImage {
    image_url: WebUrl,
    alt_text: Text<50>,
}

impl SimpleImage {
    pub fn new(image_url: WebUrl, alt_text: impl AsRef<str>) -> Self {
        Self {
            image_url,
            alt_text: Text::new(alt_text),
        }
    }
}

/// Title and/or description with up to three buttons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TextCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<Text<50>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Text<400>>,
    #[serde(skip_serializing_if = "Buttons::is_empty")]
    buttons: Buttons<3>,
}

impl TextCard {
    /// A card with a title; a blank title still yields a valid card (a placeholder).
    pub fn titled(title: impl AsRef<str>) -> Self {
        Self {
            title: Some(Text::new(title)),
            description: None,
            buttons: Buttons::default(),
        }
    }

    /// A card with only a description.
    pub fn described(description: impl AsRef<str>) -> Self {
        Self {
            title: None,
            description: Some(Text::new(description)),
            buttons: Buttons::default(),
        }
    }

    pub fn description(mut self, description: impl AsRef<str>) -> Self {
        self.description = Text::optional(description);
        if self.title.is_none() && self.description.is_none() {
            self.description = Some(Text::new(""));
        }
        self
    }

    pub fn button(mut self, button: Button) -> Self {
        self.buttons.push(button);
        self
    }
}

/// A card with a required image, optional title/description (≤ 230) and up to three buttons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BasicCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<Text<50>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Text<230>>,
    thumbnail: Thumbnail,
    #[serde(skip_serializing_if = "Buttons::is_empty")]
    buttons: Buttons<3>,
}

impl BasicCard {
    pub fn new(thumbnail: Thumbnail) -> Self {
        Self {
            title: None,
            description: None,
            thumbnail,
            buttons: Buttons::default(),
        }
    }

    pub fn title(mut self, title: impl AsRef<str>) -> Self {
        self.title = Text::optional(title);
        self
    }

    pub fn description(mut self, description: impl AsRef<str>) -> Self {
        self.description = Text::optional(description);
        self
    }

    pub fn button(mut self, button: Button) -> Self {
        self.buttons.push(button);
        self
    }
}

/// A product card: price in won, exactly one thumbnail and one to three buttons.
#[derive(Clone, Debug, PartialEq)]
pub struct CommerceCard {
    title: Option<Text<30>>,
    description: Option<Text<30>>,
    price: u64,
    discount: Option<u64>,
    thumbnail: Thumbnail,
    profile: Option<Profile>,
    buttons: Buttons<3>,
}

impl CommerceCard {
    /// The first button is required by Kakao, so it is an argument.
    pub fn new(price: u64, thumbnail: Thumbnail, first_button: Button) -> Self {
        let mut buttons = Buttons::default();
        buttons.push(first_button);
        Self {
            title: None,
            description: None,
            price,
            discount: None,
            thumbnail,
            profile: None,
            buttons,
        }
    }

    pub fn title(mut self, title: impl AsRef<str>) -> Self {
        self.title = Text::optional(title);
        self
    }

    pub fn description(mut self, description: impl AsRef<str>) -> Self {
        self.description = Text::optional(description);
        self
    }

    /// A discount in won; ignored unless smaller than the price.
    pub fn discount(mut self, discount: u64) -> Self {
        self.discount = (discount > 0 && discount < self.price).then_some(discount);
        self
    }

    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    pub fn button(mut self, button: Button) -> Self {
        self.buttons.push(button);
        self
    }
}

impl Serialize for CommerceCard {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("CommerceCard", 8)?;
        if let Some(title) = &self.title {
            st.serialize_field("title", title)?;
        }
        if let Some(description) = &self.description {
            st.serialize_field("description", description)?;
        }
        st.serialize_field("price", &self.price)?;
        st.serialize_field("currency", "won")?;
        if let Some(discount) = self.discount {
            st.serialize_field("discount", &discount)?;
        }
        st.serialize_field("thumbnails", std::slice::from_ref(&self.thumbnail))?;
        if let Some(profile) = &self.profile {
            st.serialize_field("profile", profile)?;
        }
        st.serialize_field("buttons", &self.buttons)?;
        st.end()
    }
}

/// One row of a list card. Tapping it can open a link or run an action.
#[derive(Clone, Debug, PartialEq)]
pub struct ListItem {
    title: Text<50>,
    description: Option<Text<50>>,
    image_url: Option<WebUrl>,
    tap: Option<ListItemTap>,
}

#[derive(Clone, Debug, PartialEq)]
enum ListItemTap {
    Link(WebUrl),
    Block { block_id: BlockId, extra: Extra },
    Message(Text<MESSAGE_MAX>),
}

impl ListItem {
    pub fn new(title: impl AsRef<str>) -> Self {
        Self {
            title: Text::new(title),
            description: None,
            image_url: None,
            tap: None,
        }
    }

    pub fn description(mut self, description: impl AsRef<str>) -> Self {
        self.description = Text::optional(description);
        self
    }

    pub fn image(mut self, url: WebUrl) -> Self {
        self.image_url = Some(url);
        self
    }

    pub fn link(mut self, url: WebUrl) -> Self {
        self.tap = Some(ListItemTap::Link(url));
        self
    }

    pub fn block(mut self, block_id: BlockId, extra: Extra) -> Self {
        self.tap = Some(ListItemTap::Block { block_id, extra });
        self
    }

    pub fn message(mut self, text: impl AsRef<str>) -> Self {
        self.tap = Some(ListItemTap::Message(Text::new(text)));
        self
    }
}

impl Serialize for ListItem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("title", &self.title)?;
        if let Some(description) = &self.description {
            map.serialize_entry("description", description)?;
        }
        if let Some(url) = &self.image_url {
            map.serialize_entry("imageUrl", url)?;
        }
        match &self.tap {
            None => {}
            Some(ListItemTap::Link(url)) => map.serialize_entry("link", &Link { web: url.clone() })?,
            Some(ListItemTap::Block { block_id, extra }) => {
                map.serialize_entry("action", "block")?;
                map.serialize_entry("blockId", block_id)?;
                map.serialize_entry("messageText", &self.title)?;
                if !extra.is_empty() {
                    map.serialize_entry("extra", extra)?;
                }
            }
            Some(ListItemTap::Message(text)) => {
                map.serialize_entry("action", "message")?;
                map.serialize_entry("messageText", text)?;
            }
        }
        map.end()
    }
}

/// Most rows a list card shows alone, and inside a carousel.
pub const LIST_ITEMS_MAX: usize = 5;
pub const LIST_ITEMS_IN_CAROUSEL_MAX: usize = 4;

/// A header, one to five rows (four inside a carousel) and up to two side-by-side buttons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListCard {
    header: ListHeader,
    items: Vec<ListItem>,
    #[serde(skip_serializing_if = "Buttons::is_empty")]
    buttons: Buttons<2>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct ListHeader {
    title: Text<50>,
}

impl ListCard {
    /// Kakao needs at least one row, so the first is an argument.
    pub fn new(header_title: impl AsRef<str>, first: ListItem) -> Self {
        Self {
            header: ListHeader {
                title: Text::new(header_title),
            },
            items: vec![first],
            buttons: Buttons::default(),
        }
    }

    /// Adds a row; returns false (and drops it) when the card is full.
    pub fn push(&mut self, item: ListItem) -> bool {
        push_bounded(&mut self.items, LIST_ITEMS_MAX, item, "list card items")
    }

    pub fn item(mut self, item: ListItem) -> Self {
        self.push(item);
        self
    }

    pub fn button(mut self, button: Button) -> Self {
        self.buttons.push(button);
        self
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// One label/value row of an item card (e.g. "가격" / "12,000원").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemRow {
    title: Text<20>,
    description: Text<50>,
}

impl ItemRow {
    pub fn new(title: impl AsRef<str>, description: impl AsRef<str>) -> Self {
        Self {
            title: Text::new(title),
            description: Text::new(description),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct ItemHead {
    title: Text<20>,
}

/// Most rows an item card shows alone, and inside a carousel.
pub const ITEM_ROWS_MAX: usize = 10;
pub const ITEM_ROWS_IN_CAROUSEL_MAX: usize = 5;

/// A receipt-like card of label/value rows, with optional head, image, title and up to three buttons.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail: Option<Thumbnail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    head: Option<ItemHead>,
    item_list: Vec<ItemRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<Text<50>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Text<50>>,
    #[serde(skip_serializing_if = "Buttons::is_empty")]
    buttons: Buttons<3>,
}

impl ItemCard {
    pub fn new(first: ItemRow) -> Self {
        Self {
            thumbnail: None,
            head: None,
            item_list: vec![first],
            title: None,
            description: None,
            buttons: Buttons::default(),
        }
    }

    pub fn push(&mut self, row: ItemRow) -> bool {
        push_bounded(&mut self.item_list, ITEM_ROWS_MAX, row, "item card rows")
    }

    pub fn row(mut self, row: ItemRow) -> Self {
        self.push(row);
        self
    }

    pub fn head(mut self, title: impl AsRef<str>) -> Self {
        self.head = Text::optional(title).map(|title| ItemHead { title });
        self
    }

    pub fn thumbnail(mut self, thumbnail: Thumbnail) -> Self {
        self.thumbnail = Some(thumbnail);
        self
    }

    pub fn title(mut self, title: impl AsRef<str>) -> Self {
        self.title = Text::optional(title);
        self
    }

    pub fn description(mut self, description: impl AsRef<str>) -> Self {
        self.description = Text::optional(description);
        self
    }

    pub fn button(mut self, button: Button) -> Self {
        self.buttons.push(button);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Carousel

/// Most cards in one carousel.
pub const CAROUSEL_MAX: usize = 10;

/// A card type that may stand in a carousel, and how it shrinks to the carousel's stricter limits.
pub trait CarouselCard: Sized {
    /// Makes the card fit inside a carousel (e.g. a shorter description, fewer rows).
    fn fit_for_carousel(&mut self);
    /// Wraps the cards into the typed list a carousel serialises.
    fn into_items(cards: Vec<Self>) -> CarouselItems;
}

impl CarouselCard for TextCard {
    fn fit_for_carousel(&mut self) {
        if let Some(d) = &self.description {
            self.description = Some(d.refit::<128>().refit());
        }
    }
    fn into_items(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::TextCard(cards)
    }
}

impl CarouselCard for BasicCard {
    fn fit_for_carousel(&mut self) {}
    fn into_items(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::BasicCard(cards)
    }
}

impl CarouselCard for CommerceCard {
    fn fit_for_carousel(&mut self) {}
    fn into_items(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::CommerceCard(cards)
    }
}

impl CarouselCard for ListCard {
    fn fit_for_carousel(&mut self) {
        self.items.truncate(LIST_ITEMS_IN_CAROUSEL_MAX);
    }
    fn into_items(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::ListCard(cards)
    }
}

impl CarouselCard for ItemCard {
    fn fit_for_carousel(&mut self) {
        self.item_list.truncate(ITEM_ROWS_IN_CAROUSEL_MAX);
    }
    fn into_items(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::ItemCard(cards)
    }
}

/// One to ten cards of one type, shown side by side.
#[derive(Clone, Debug, PartialEq)]
pub struct Carousel<T> {
    cards: Vec<T>,
}

impl<T: CarouselCard> Carousel<T> {
    /// A carousel needs at least one card, so the first is an argument.
    pub fn new(first: T) -> Self {
        let mut carousel = Self {
            cards: Vec::with_capacity(CAROUSEL_MAX),
        };
        carousel.push(first);
        carousel
    }

    /// `None` when `cards` is empty; cards past the tenth are dropped (and logged).
    pub fn from_cards(cards: impl IntoIterator<Item = T>) -> Option<Self> {
        let mut cards = cards.into_iter();
        let mut carousel = Self::new(cards.next()?);
        for card in cards {
            if !carousel.push(card) {
                break;
            }
        }
        Some(carousel)
    }

    /// Adds a card (fitted to carousel limits); false when the carousel is full and the card was dropped.
    pub fn push(&mut self, mut card: T) -> bool {
        card.fit_for_carousel();
        push_bounded(&mut self.cards, CAROUSEL_MAX, card, "carousel cards")
    }

    pub fn len(&self) -> usize {
        self.cards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.cards.len() >= CAROUSEL_MAX
    }
}

/// The cards of a carousel, typed so that a carousel can only mix cards of one kind.
#[derive(Clone, Debug, PartialEq)]
pub enum CarouselItems {
    TextCard(Vec<TextCard>),
    BasicCard(Vec<BasicCard>),
    CommerceCard(Vec<CommerceCard>),
    ListCard(Vec<ListCard>),
    ItemCard(Vec<ItemCard>),
}

impl<T: CarouselCard> From<Carousel<T>> for CarouselItems {
    fn from(carousel: Carousel<T>) -> Self {
        T::into_items(carousel.cards)
    }
}

impl Serialize for CarouselItems {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Carousel", 2)?;
        match self {
            Self::TextCard(items) => {
                st.serialize_field("type", "textCard")?;
                st.serialize_field("items", items)?;
            }
            Self::BasicCard(items) => {
                st.serialize_field("type", "basicCard")?;
                st.serialize_field("items", items)?;
            }
            Self::CommerceCard(items) => {
                st.serialize_field("type", "commerceCard")?;
                st.serialize_field("items", items)?;
            }
            Self::ListCard(items) => {
                st.serialize_field("type", "listCard")?;
                st.serialize_field("items", items)?;
            }
            Self::ItemCard(items) => {
                st.serialize_field("type", "itemCard")?;
                st.serialize_field("items", items)?;
            }
        }
        st.end()
    }
}
