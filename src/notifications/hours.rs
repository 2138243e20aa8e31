//! Korean time for the sender's manners: the day a message counts against (the daily cap, a member's
//! keyword allowance) and the hours alerts may be sent in. Korea has no daylight saving: KST is UTC+9.

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const KST_OFFSET_MS: i64 = 9 * HOUR_MS;
/// Alerts may go from 08:00 …
const MORNING_HOUR: i64 = 8;
/// … until 21:00 KST (정보통신망법 §50: advertising at night needs separate consent).
const EVENING_HOUR: i64 = 21;

/// Milliseconds since the Unix epoch at the start of the KST day containing `now`.
fn day_start(now: i64) -> i64 {
    (now + KST_OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - KST_OFFSET_MS
}

/// The KST date of `now`, `YYYY-MM-DD` (the key of the day's counters).
pub fn day(now: i64) -> String {
    let days = (now + KST_OFFSET_MS).div_euclid(DAY_MS);
    let date = time::Date::from_julian_day(
        i32::try_from(days + 2_440_588).unwrap_or(i32::MAX), // 1970-01-01 is Julian day 2,440,588
    )
    .unwrap_or(time::Date::MIN);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The start of the KST day of `now`, as Unix ms (what "today" means for the counters).
pub fn today_since(now: i64) -> i64 {
    day_start(now)
}

/// True outside 08:00–21:00 KST.
pub fn is_quiet(now: i64) -> bool {
    let hour = (now - day_start(now)) / HOUR_MS;
    !(MORNING_HOUR..EVENING_HOUR).contains(&hour)
}

/// The next 08:00 KST after `now` (today's if it is still before eight).
pub fn next_morning(now: i64) -> i64 {
    let today = day_start(now) + MORNING_HOUR * HOUR_MS;
    if now < today { today } else { today + DAY_MS }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-02 00:00 UTC = 09:00 KST.
    const DEC_2_0900_KST: i64 = 1_796_169_600_000;

    #[test]
    fn days_and_hours_are_korean() {
        assert_eq!(day(DEC_2_0900_KST), "2026-12-02");
        assert!(!is_quiet(DEC_2_0900_KST));
        // 20:59 KST is still day; 21:00 is night; 07:59 is night; 08:00 is day.
        assert!(!is_quiet(DEC_2_0900_KST + 11 * HOUR_MS + 59 * 60_000));
        assert!(is_quiet(DEC_2_0900_KST + 12 * HOUR_MS));
        assert!(is_quiet(DEC_2_0900_KST - 61 * 60_000));
        assert!(!is_quiet(DEC_2_0900_KST - HOUR_MS));
        // 23:30 KST on the 2nd is already the 2nd, 00:30 KST on the 3rd is the 3rd (15:30 UTC the 2nd).
        assert_eq!(day(DEC_2_0900_KST + 14 * HOUR_MS + 30 * 60_000), "2026-12-02");
        assert_eq!(day(DEC_2_0900_KST + 15 * HOUR_MS + 30 * 60_000), "2026-12-03");
    }

    #[test]
    fn alerts_held_at_night_wait_for_eight() {
        let eight_tomorrow = DEC_2_0900_KST + 23 * HOUR_MS;
        assert_eq!(next_morning(DEC_2_0900_KST + 13 * HOUR_MS), eight_tomorrow);
        // At 03:00 KST the next morning is the same day's.
        assert_eq!(next_morning(eight_tomorrow - 5 * HOUR_MS), eight_tomorrow);
        assert_eq!(today_since(DEC_2_0900_KST), DEC_2_0900_KST - 9 * HOUR_MS);
    }
}
