//! The SkillResponse: one to three outputs, up to ten quick replies, context values and data.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::card::{
    BasicCard, CarouselItems, CommerceCard, ItemCard, LABEL_MAX, ListCard, MESSAGE_MAX, SimpleImage,
    SimpleText, TextCard, push_bounded,
};
use super::text::{BlockId, Extra, Text};

/// Most outputs (speech bubbles) in one response.
pub const OUTPUTS_MAX: usize = 3;
/// Most quick replies under one response.
pub const QUICK_REPLIES_MAX: usize = 10;
/// Most context values one response sets.
pub const CONTEXT_VALUES_MAX: usize = 10;
/// Longest a context lives, in turns; longer values are capped.
pub const CONTEXT_LIFESPAN_MAX: u32 = 100;
/// Longest a context lives, in seconds.
pub const CONTEXT_TTL_MAX: u32 = 86_400;

/// One speech bubble of a response.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Output {
    SimpleText(SimpleText),
    SimpleImage(SimpleImage),
    TextCard(TextCard),
    BasicCard(BasicCard),
    CommerceCard(CommerceCard),
    ListCard(ListCard),
    ItemCard(ItemCard),
    Carousel(CarouselItems),
}

macro_rules! output_from {
    ($($variant:ident),*) => {$(
        impl From<$variant> for Output {
            fn from(value: $variant) -> Self {
                Output::$variant(value)
            }
        }
    )*};
}
output_from!(
    SimpleText,
    SimpleImage,
    TextCard,
    BasicCard,
    CommerceCard,
    ListCard,
    ItemCard
);

impl<T: super::card::CarouselCard> From<super::card::Carousel<T>> for Output {
    fn from(value: super::card::Carousel<T>) -> Self {
        Output::Carousel(value.into())
    }
}

/// A button under the last bubble that sends a message or jumps to a block.
#[derive(Clone, Debug, PartialEq)]
pub struct QuickReply {
    label: Text<LABEL_MAX>,
    action: QuickReplyAction,
}

#[derive(Clone, Debug, PartialEq)]
enum QuickReplyAction {
    Message(Text<MESSAGE_MAX>),
    Block { block_id: BlockId, extra: Extra },
}

impl QuickReply {
    /// Sends `text` as the user's utterance; Open Builder routes it like typed text.
    pub fn message(label: impl AsRef<str>, text: impl AsRef<str>) -> Self {
        Self {
            label: Text::new(label),
            action: QuickReplyAction::Message(Text::new(text)),
        }
    }

    /// Jumps to a block and hands `extra` to its skill as `clientExtra`.
    pub fn block(label: impl AsRef<str>, block_id: BlockId, extra: Extra) -> Self {
        Self {
            label: Text::new(label),
            action: QuickReplyAction::Block { block_id, extra },
        }
    }

    pub fn label(&self) -> &str {
        self.label.as_str()
    }
}

impl Serialize for QuickReply {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("label", &self.label)?;
        match &self.action {
            QuickReplyAction::Message(text) => {
                map.serialize_entry("action", "message")?;
                map.serialize_entry("messageText", text)?;
            }
            QuickReplyAction::Block { block_id, extra } => {
                map.serialize_entry("action", "block")?;
                map.serialize_entry("blockId", block_id)?;
                map.serialize_entry("messageText", &self.label)?;
                if !extra.is_empty() {
                    map.serialize_entry("extra", extra)?;
                }
            }
        }
        map.end()
    }
}

/// A context the response sets (or, with lifespan 0, deletes) for the next turns.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextValue {
    name: Text<64>,
    life_span: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<u32>,
    #[serde(skip_serializing_if = "Extra::is_empty")]
    params: Extra,
}

impl ContextValue {
    /// A context alive for `life_span` turns (capped at 100).
    pub fn new(name: impl AsRef<str>, life_span: u32, params: Extra) -> Self {
        Self {
            name: Text::new(name),
            life_span: life_span.min(CONTEXT_LIFESPAN_MAX),
            ttl: None,
            params,
        }
    }

    /// Ends the context now.
    pub fn delete(name: impl AsRef<str>) -> Self {
        Self::new(name, 0, Extra::new())
    }

    /// Also expires after `seconds` (capped at a day).
    pub fn ttl(mut self, seconds: u32) -> Self {
        self.ttl = Some(seconds.min(CONTEXT_TTL_MAX));
        self
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Template {
    outputs: Vec<Output>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    quick_replies: Vec<QuickReply>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct ContextControl {
    values: Vec<ContextValue>,
}

/// A complete answer to a skill call.
///
/// Built from a first output (Kakao needs at least one) or as a bare callback acknowledgement.
#[derive(Clone, Debug, PartialEq)]
pub struct SkillResponse {
    template: Option<Template>,
    context: ContextControl,
    data: serde_json::Map<String, serde_json::Value>,
    use_callback: bool,
}

impl SkillResponse {
    pub fn new(first: impl Into<Output>) -> Self {
        Self {
            template: Some(Template {
                outputs: vec![first.into()],
                quick_replies: Vec::new(),
            }),
            context: ContextControl::default(),
            data: serde_json::Map::new(),
            use_callback: false,
        }
    }

    /// A single text bubble.
    pub fn text(text: impl AsRef<str>) -> Self {
        Self::new(SimpleText::new(text))
    }

    /// "I will answer through the callback URL": `{"version":"2.0","useCallback":true}`.
    pub fn use_callback() -> Self {
        Self {
            template: None,
            context: ContextControl::default(),
            data: serde_json::Map::new(),
            use_callback: true,
        }
    }

    /// Adds an output; past the third it is dropped and logged.
    pub fn output(mut self, output: impl Into<Output>) -> Self {
        if let Some(template) = &mut self.template {
            push_bounded(&mut template.outputs, OUTPUTS_MAX, output.into(), "outputs");
        }
        self
    }

    /// Adds a quick reply; past the tenth it is dropped and logged.
    pub fn quick_reply(mut self, quick_reply: QuickReply) -> Self {
        if let Some(template) = &mut self.template {
            push_bounded(
                &mut template.quick_replies,
                QUICK_REPLIES_MAX,
                quick_reply,
                "quick replies",
            );
        }
        self
    }

    pub fn quick_replies(self, quick_replies: impl IntoIterator<Item = QuickReply>) -> Self {
        quick_replies.into_iter().fold(self, Self::quick_reply)
    }

    /// How many more quick replies fit, so callers can plan navigation around content.
    pub fn quick_reply_room(&self) -> usize {
        self.template
            .as_ref()
            .map_or(0, |t| QUICK_REPLIES_MAX - t.quick_replies.len())
    }

    pub fn context(mut self, value: ContextValue) -> Self {
        push_bounded(
            &mut self.context.values,
            CONTEXT_VALUES_MAX,
            value,
            "context values",
        );
        self
    }

    /// A value for the block's text templates (`data` in the response).
    pub fn data(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.data.insert(key.to_owned(), value.into());
        self
    }

    pub fn outputs(&self) -> &[Output] {
        self.template.as_ref().map_or(&[], |t| &t.outputs)
    }

    pub fn quick_reply_labels(&self) -> impl Iterator<Item = &str> {
        self.template
            .iter()
            .flat_map(|t| t.quick_replies.iter().map(QuickReply::label))
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a SkillResponse always serialises")
    }
}

impl Serialize for SkillResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("version", "2.0")?;
        if let Some(template) = &self.template {
            map.serialize_entry("template", template)?;
        }
        if !self.context.values.is_empty() {
            map.serialize_entry("context", &self.context)?;
        }
        if !self.data.is_empty() {
            map.serialize_entry("data", &self.data)?;
        }
        if self.use_callback {
            map.serialize_entry("useCallback", &true)?;
        }
        map.end()
    }
}
