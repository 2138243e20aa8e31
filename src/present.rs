//! How values are shown to users: dates in Korean time, amounts in won, a client's own input repeated
//! back in an error answer, and text put into an HTML page.

use std::borrow::Cow;

use time::{OffsetDateTime, UtcOffset};

/// Korea does not observe daylight saving: KST is always UTC+9.
const KST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+9 is a valid offset"),
};

/// `2026년 11월 22일` for a Unix-millisecond time, in Korean time.
pub fn date_kst(unix_ms: i64) -> String {
    match in_kst(unix_ms) {
        Some(at) => format!("{}년 {}월 {}일", at.year(), u8::from(at.month()), at.day()),
        None => "-".to_owned(),
    }
}

/// `2026-11-22 14:05` for a Unix-millisecond time, in Korean time (operators' pages).
pub fn datetime_kst(unix_ms: i64) -> String {
    match in_kst(unix_ms) {
        Some(at) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        ),
        None => "-".to_owned(),
    }
}

/// `11월 22일`, in Korean time: a day in the coming weeks, whose year goes without saying.
pub fn month_day_kst(unix_ms: i64) -> String {
    match in_kst(unix_ms) {
        Some(at) => format!("{}월 {}일", u8::from(at.month()), at.day()),
        None => "-".to_owned(),
    }
}

fn in_kst(unix_ms: i64) -> Option<OffsetDateTime> {
    let nanos = i128::from(unix_ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .map(|at| at.to_offset(KST))
}

/// `12,345원`.
pub fn won(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    if amount < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out.push('원');
    out
}

/// At most about this many bytes of a client's input are repeated back in an error answer.
pub const ECHO_MAX_BYTES: usize = 512;

/// `text` as an error answer may repeat it: whole when it is short, otherwise its start and its end
/// around a note of how much was left out.
///
/// Parser messages quote the offending value in full (`invalid type: string "…", expected i64 at line
/// 1 column 200012`), so without a cap a 200 KB value comes back as a 200 KB answer. The end is kept
/// because that is where such messages say what was expected and where.
pub fn echo(text: &str) -> Cow<'_, str> {
    if text.len() <= ECHO_MAX_BYTES {
        return Cow::Borrowed(text);
    }
    let head = text.floor_char_boundary(ECHO_MAX_BYTES * 3 / 4);
    let tail = text.ceil_char_boundary(text.len() - ECHO_MAX_BYTES / 4);
    Cow::Owned(format!(
        "{}…({} bytes left out)…{}",
        &text[..head],
        tail - head,
        &text[tail..]
    ))
}

/// Escapes text for HTML (product names come from sellers).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_in_korean_time() {
        // 2026-11-21T15:30:00Z is already the 22nd in Seoul.
        assert_eq!(date_kst(1_795_275_000_000), "2026년 11월 22일");
        assert_eq!(month_day_kst(1_795_275_000_000), "11월 22일");
    }

    #[test]
    fn amounts_get_thousands_separators() {
        assert_eq!(won(0), "0원");
        assert_eq!(won(1_000), "1,000원");
        assert_eq!(won(1_234_567), "1,234,567원");
        assert_eq!(won(-5_000), "-5,000원");
    }

    #[test]
    fn short_echoes_are_whole_and_long_ones_keep_both_ends() {
        assert_eq!(echo("invalid digit"), "invalid digit");
        let long = format!(
            "invalid type: string \"{}\", expected i64 at line 1 column 200031",
            "가".repeat(70_000)
        );
        let clipped = echo(&long);
        assert!(clipped.len() <= ECHO_MAX_BYTES + 40, "{} bytes", clipped.len());
        assert!(clipped.starts_with("invalid type: string \"가가"));
        assert!(clipped.ends_with("expected i64 at line 1 column 200031"));
        assert!(clipped.contains("bytes left out"));
    }
}
