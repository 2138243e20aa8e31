//! Charts drawn on the server as SVG: no script, nothing to load, readable by a screen reader through
//! each bar's `<title>`.

use std::fmt::Write as _;

use crate::present::html_escape;

/// One bar: its label under the axis (may be empty), its value, and the tooltip.
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// A second value drawn over the first, in the warning colour (failed calls of the bucket).
    pub part: f64,
    pub title: String,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

/// A vertical bar chart of `bars`, its axis labelled with `unit`, described by `caption`.
pub fn columns(bars: &[Bar], unit: &str, caption: &str) -> String {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let scale = nice_ceiling(max);
    let plot_height = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / bars.len().max(1) as f64;
    let bar_width = (slot * 0.7).max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        html_escape(caption)
    );
    for step in 0..=4 {
        let value = scale * f64::from(step) / 4.0;
        let y = TOP + plot_height - plot_height * f64::from(step) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e6ea"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#6b7280">{}</text>"##,
            LEFT - 6.0,
            y + 3.0,
            html_escape(&format!("{}{unit}", compact(value)))
        );
    }
    let label_every = (bars.len() / 12).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar_width) / 2.0;
        let height = bar_height(bar.value, scale, plot_height);
        let part = bar_height(bar.part.min(bar.value), scale, plot_height);
        let base = TOP + plot_height;
        let _ = write!(
            svg,
            r##"<g><title>{}</title><rect x="{x:.1}" y="{:.1}" width="{bar_width:.1}" height="{height:.1}" fill="#3b82f6"/>"##,
            html_escape(&bar.title),
            base - height
        );
        if part > 0.0 {
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="{:.1}" width="{bar_width:.1}" height="{part:.1}" fill="#ef4444"/>"##,
                base - part
            );
        }
        svg.push_str("</g>");
        if i % label_every == 0 && !bar.label.is_empty() {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#6b7280">{}</text>"##,
                x + bar_width / 2.0,
                HEIGHT - 10.0,
                html_escape(&bar.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn bar_height(value: f64, scale: f64, plot_height: f64) -> f64 {
    if scale <= 0.0 || value <= 0.0 {
        0.0
    } else {
        (value / scale * plot_height).max(1.0)
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `max` (at least 1), so the axis reads in round numbers.
fn nice_ceiling(max: f64) -> f64 {
    if max <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * magnitude)
}

/// `1200` → `1.2k`; small values as they are.
fn compact(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.1}k", value / 1000.0).replace(".0k", "k")
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(480.0), 500.0);
        assert_eq!(compact(2500.0), "2.5k");
        assert_eq!(compact(2000.0), "2k");
        assert_eq!(compact(12.0), "12");
    }

    #[test]
    fn bars_are_drawn_with_escaped_titles_and_their_failed_part() {
        let bars = [
            Bar {
                label: "09시".into(),
                value: 10.0,
                part: 2.0,
                title: "<09시> 10건".into(),
            },
            Bar {
                label: String::new(),
                value: 0.0,
                part: 0.0,
                title: "10시 0건".into(),
            },
        ];
        let svg = columns(&bars, "", "calls");
        assert!(svg.starts_with("<svg class=\"chart\""));
        assert!(svg.contains("&lt;09시&gt; 10건"));
        assert_eq!(svg.matches("fill=\"#ef4444\"").count(), 1);
        assert!(svg.ends_with("</svg>"));
    }
}
