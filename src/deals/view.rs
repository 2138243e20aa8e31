//! What one skill call sees: the snapshots of the sources it asked for, and how fresh they are.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::shelf::{Deal, Snapshot};
use crate::deal_sources::DealSource;

/// One source's snapshot as held by this process.
#[derive(Clone, Debug)]
pub struct Part {
    pub source: Arc<DealSource>,
    pub snapshot: Arc<Snapshot>,
}

/// The deals a skill call may show.
#[derive(Clone, Debug, Default)]
pub struct View {
    pub parts: Vec<Part>,
    /// Sources asked for that have no deals yet and are being read.
    pub waiting: usize,
    /// Sources asked for that have no deals and whose last read failed.
    pub failing: usize,
    /// The age of the oldest snapshot shown that is past its refresh time (a refresh has been asked for).
    pub stale_age: Option<Duration>,
}

/// One deal to show, with its source.
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a> {
    pub source: &'a DealSource,
    pub deal: &'a Deal,
}

impl Shown<'_> {
    /// A deal the board marks as over (`종료`, or `[종료]` in front of the title). Refreshes skip these
    /// already; this also hides those kept in a snapshot read before an operator added the label to
    /// `skip_labels`, or before the board marked them.
    pub fn is_ended(&self) -> bool {
        let row = &self.deal.row;
        row.labels.iter().any(|label| self.source.marks_ended(label))
            || self.source.title_marks_ended(&row.title)
    }
}

impl View {
    /// The deals in the order shown: the sources take turns (the first deal of each, then the second of
    /// each, …) so one busy board does not fill every page; ended deals and repeats are left out.
    pub fn deals(&self) -> impl Iterator<Item = Shown<'_>> + '_ {
        let longest = self
            .parts
            .iter()
            .map(|p| p.snapshot.deals.len())
            .max()
            .unwrap_or(0);
        let mut seen = HashSet::new();
        (0..longest)
            .flat_map(move |i| {
                self.parts.iter().filter_map(move |part| {
                    part.snapshot.deals.get(i).map(|deal| Shown {
                        source: &part.source,
                        deal,
                    })
                })
            })
            .filter(|shown| !shown.is_ended())
            .filter(move |shown| seen.insert(shown.deal.row.detail_url.as_str()))
    }

    /// True when no source asked for has any deal yet.
    pub fn has_no_data(&self) -> bool {
        self.parts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal_sources::shipped_sources;
    use crate::deals::extract::DealRow;
    use crate::deals::price::DealPrice;

    fn deal(url: &str, label: Option<&str>) -> Deal {
        Deal {
            row: DealRow {
                title: url.to_owned(),
                price: DealPrice::Won(1_000),
                category: None,
                labels: label.into_iter().map(str::to_owned).collect(),
                thumbnail: None,
                brand_logo: None,
                detail_url: format!("https://deals.example.com/{url}"),
            },
            purchase_url: None,
            brand: None,
            full_title: None,
            detail_read: false,
        }
    }

    fn part(index: usize, deals: Vec<Deal>) -> Part {
        let source = shipped_sources().unwrap().remove(index);
        Part {
            snapshot: Arc::new(Snapshot {
                source: source.key.clone(),
                fetched_at_ms: 0,
                deals,
            }),
            source: Arc::new(source),
        }
    }

    fn titles(view: &View) -> Vec<&str> {
        view.deals().map(|s| s.deal.row.title.as_str()).collect()
    }

    #[test]
    fn sources_take_turns_and_ended_and_repeated_deals_are_left_out() {
        let view = View {
            parts: vec![
                part(
                    0,
                    vec![
                        deal("a1", None),
                        deal("a2", Some("종료")),
                        deal("a3", Some("인기")),
                        deal("a4", None),
                    ],
                ),
                part(1, vec![deal("b1", None), deal("a1", None)]),
            ],
            ..View::default()
        };
        assert_eq!(titles(&view), ["a1", "b1", "a3", "a4"]);
    }

    #[test]
    fn an_empty_view_has_no_deals() {
        let view = View::default();
        assert!(view.has_no_data());
        assert_eq!(view.deals().count(), 0);
    }
}
