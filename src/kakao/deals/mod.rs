//! `POST /skill/deals`: hot deals from every enabled board, or one, five at a time.
//!
//! Anyone may look (members or not). The answer comes from this process's copy of the cached deals, so it
//! takes microseconds whatever the boards or Redis are doing (see [`super::Deals::view`]).

pub mod cards;

use crate::kakao::extra::Key;
use crate::kakao::{SkillCall, SkillResult};
use cards::Page;

/// Deals shown at most through cursors (the boards hold far fewer); a larger cursor is not ours.
const CURSOR_MAX: usize = 10_000;

/// `clientExtra.source` (optional): one enabled source's key; anything else shows every source.
/// `clientExtra.cursor` (optional): how many deals earlier pages showed; anything we did not write starts
/// from the top — the list is public and harmless.
pub async fn list(call: SkillCall) -> SkillResult {
    let nav = call.nav();
    let deals = &call.state.deals;
    if !deals.is_enabled() {
        return Ok(cards::switched_off(nav));
    }
    let filter = call.extra(Key::Source).filter(|key| deals.has_source(key));
    let at = call.extra(Key::Cursor).and_then(parse_cursor).unwrap_or(0);
    let view = deals.view(filter).await;
    Ok(cards::page(&Page {
        nav,
        view: &view,
        at,
        filter,
        sources: deals.sources().collect(),
        placeholder: deals.placeholder(),
    }))
}

/// ASCII digits only, at most [`CURSOR_MAX`].
fn parse_cursor(raw: &str) -> Option<usize> {
    let digits = !raw.is_empty() && raw.len() <= 5 && raw.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| raw.parse().ok())
        .flatten()
        .filter(|&at| at <= CURSOR_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_small_plain_numbers() {
        assert_eq!(parse_cursor("5"), Some(5));
        assert_eq!(parse_cursor("0"), Some(0));
        for bad in ["", "-5", "+5", "5.0", "99999", "1e3", "５"] {
            assert_eq!(parse_cursor(bad), None, "{bad}");
        }
    }
}
