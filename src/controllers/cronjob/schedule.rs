//! CronJob schedules as robfig/cron v3's `ParseStandard` reads them: five fields (minute, hour,
//! day of month, month, day of week) or a descriptor (`@hourly`, `@every 90m`, …), and `next`
//! as its SpecSchedule walks the calendar in the schedule's time zone.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use crate::sim::clock::Millis;

/// Set on a field written `*` or `?` (not `*/n`): the day-of-month / day-of-week rule needs it.
const STAR: u64 = 1 << 63;

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Bit sets per field (bit n = value n), plus [`STAR`].
    Spec { minute: u64, hour: u64, dom: u64, month: u64, dow: u64 },
    /// `@every <duration>`: whole seconds, at least one.
    Every(Millis),
}

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Bounds = Bounds { min: 0, max: 59, names: &[] };
const HOUR: Bounds = Bounds { min: 0, max: 23, names: &[] };
const DOM: Bounds = Bounds { min: 1, max: 31, names: &[] };
const MONTH: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &["", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};
const DOW: Bounds = Bounds { min: 0, max: 6, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] };

/// How many distinct schedule texts each thread remembers parsed.
const PARSED_CAPACITY: usize = 64;

/// How many recent [`Schedule::next`] answers each thread remembers.
const NEXT_CAPACITY: usize = 16;

/// (schedule, zone, after, answer).
type NextMemo = std::collections::VecDeque<(Schedule, TimeZone, Millis, Option<Millis>)>;
/// (text, what parsing it gave).
type ParseMemo = std::collections::VecDeque<(Box<str>, Result<Schedule, String>)>;

thread_local! {
    /// Recent answers of [`Schedule::next`]: a CronJob's sync asks for the same few times (the
    /// run after its last schedule time, and the one after that) at each of its syncs.
    static NEXT: std::cell::RefCell<NextMemo> = const { std::cell::RefCell::new(NextMemo::new()) };
    /// Schedules parsed before, by text: a CronJob's schedule is read at each of its syncs.
    static PARSED: std::cell::RefCell<ParseMemo> = const { std::cell::RefCell::new(ParseMemo::new()) };
}

/// upstream: cron.ParseStandard, with its error messages.
pub fn parse(spec: &str) -> Result<Schedule, String> {
    let known = PARSED.with_borrow(|parsed| parsed.iter().find(|(text, _)| **text == *spec).map(|(_, s)| s.clone()));
    if let Some(schedule) = known {
        return schedule;
    }
    let schedule = parse_text(spec);
    PARSED.with_borrow_mut(|parsed| {
        if parsed.len() == PARSED_CAPACITY {
            parsed.pop_front();
        }
        parsed.push_back((spec.into(), schedule.clone()));
    });
    schedule
}

fn parse_text(spec: &str) -> Result<Schedule, String> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    if let Some(descriptor) = spec.strip_prefix('@') {
        return parse_descriptor(descriptor, spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    Ok(Schedule::Spec {
        minute: field(fields[0], &MINUTE)?,
        hour: field(fields[1], &HOUR)?,
        dom: field(fields[2], &DOM)?,
        month: field(fields[3], &MONTH)?,
        dow: field(fields[4], &DOW)?,
    })
}

fn parse_descriptor(d: &str, spec: &str) -> Result<Schedule, String> {
    let standard = |s: &str| parse_text(s);
    match d {
        "yearly" | "annually" => standard("0 0 1 1 *"),
        "monthly" => standard("0 0 1 * *"),
        "weekly" => standard("0 0 * * 0"),
        "daily" | "midnight" => standard("0 0 * * *"),
        "hourly" => standard("0 * * * *"),
        _ => match d.strip_prefix("every ") {
            Some(text) => {
                let ns = parse_go_duration(text.trim()).map_err(|e| format!("failed to parse duration {spec}: {e}"))?;
                // upstream: Every — below a second is a second; whole seconds only.
                Ok(Schedule::Every(ns.max(1_000_000_000) / 1_000_000_000 * 1000))
            }
            None => Err(format!("unrecognized descriptor: {spec}")),
        },
    }
}

/// upstream: time.ParseDuration — an optional sign, then `<decimal><unit>` pairs (`1h30m`,
/// `1.5h`, `90s`), summed in whole nanoseconds. A sum past 2^63 − 1 ns (about 292 years) is an
/// error, as in Go, rather than a number that overflows later.
fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {orig:?}");
    let (negative, mut rest) = match orig.as_bytes().first() {
        Some(b'-') => (true, &orig[1..]),
        Some(b'+') => (false, &orig[1..]),
        _ => (false, orig),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u128 = 1 << 63;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let whole_len = digits(rest);
        let whole = &rest[..whole_len];
        rest = &rest[whole_len..];
        let mut fraction = "";
        if let Some(after) = rest.strip_prefix('.') {
            fraction = &after[..digits(after)];
            rest = &after[fraction.len()..];
        }
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
        let unit_ns: u128 = match &rest[..unit_len] {
            "" => return Err(format!("time: missing unit in duration {orig:?}")),
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            unit => return Err(format!("time: unknown unit {unit:?} in duration {orig:?}")),
        };
        rest = &rest[unit_len..];
        let mut v: u128 = 0;
        for d in whole.bytes() {
            v = v * 10 + u128::from(d - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
        }
        v *= unit_ns;
        // Digits past the 18th change the sum by less than a nanosecond of an hour's worth.
        let (mut f, mut scale) = (0u128, 1u128);
        for d in fraction.bytes().take(18) {
            f = f * 10 + u128::from(d - b'0');
            scale *= 10;
        }
        total += v + f * unit_ns / scale;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    match (negative, i64::try_from(total)) {
        (false, Ok(ns)) => Ok(ns),
        (true, Ok(ns)) => Ok(-ns),
        (true, Err(_)) => Ok(i64::MIN),
        (false, Err(_)) => Err(invalid()),
    }
}

/// One field: comma-separated ranges (upstream getField / getRange).
fn field(text: &str, b: &Bounds) -> Result<u64, String> {
    let mut bits = 0u64;
    for expr in text.split(',') {
        bits |= range(expr, b)?;
    }
    Ok(bits)
}

fn range(expr: &str, b: &Bounds) -> Result<u64, String> {
    let mut parts = expr.split('/');
    let low_high = parts.next().unwrap_or_default();
    let (step_text, slashes) = (parts.next(), parts.count());
    let mut bounds = low_high.split('-');
    let low = bounds.next().unwrap_or_default();
    let (high, hyphens) = (bounds.next(), bounds.count());
    let single = high.is_none();
    let (start, mut end, mut extra);
    if low == "*" || low == "?" {
        (start, end, extra) = (b.min, b.max, STAR);
    } else {
        start = int_or_name(low, b)?;
        end = match (high, hyphens) {
            (None, _) => start,
            (Some(high), 0) => int_or_name(high, b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        extra = 0;
    }
    let step = match (step_text, slashes) {
        (None, _) => 1,
        (Some(step_text), 0) => {
            let step = int(step_text)?;
            // upstream: `N/step` means `N-max/step`.
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = extra;
    // (A step past the range, however large, sets the start alone: no wrap-around.)
    for v in (start..=end).step_by(step as usize) {
        bits |= 1 << v;
    }
    Ok(bits)
}

fn int_or_name(s: &str, b: &Bounds) -> Result<u32, String> {
    if !b.names.is_empty() {
        let lower = s.to_ascii_lowercase();
        if let Some(i) = b.names.iter().position(|n| !n.is_empty() && *n == lower) {
            return Ok(i as u32);
        }
    }
    int(s)
}

fn int(s: &str) -> Result<u32, String> {
    match s.parse::<i64>() {
        Ok(n) if n < 0 => Err(format!("negative number ({n}) not allowed: {s}")),
        Ok(n) => u32::try_from(n).map_err(|_| format!("failed to parse int from {s}: value out of range")),
        Err(_) => Err(format!("failed to parse int from {s}: strconv.Atoi: parsing {s:?}: invalid syntax")),
    }
}

fn has(bits: u64, v: i8) -> bool {
    bits & (1u64 << v as u32) != 0
}

/// A civil time in `tz` as Go's `time.Date` makes it (a time in a DST gap moves forward, an
/// ambiguous one takes the earlier offset).
fn date(tz: &TimeZone, dt: DateTime) -> Option<Zoned> {
    dt.to_zoned(tz.clone()).ok()
}

impl Schedule {
    /// upstream: SpecSchedule.Next / ConstantDelaySchedule.Next — the first activation strictly
    /// after `t` (milliseconds since the Unix epoch), `None` when there is none within five
    /// years.
    pub fn next(&self, t: Millis, tz: &TimeZone) -> Option<Millis> {
        let known = NEXT.with_borrow(|memo| {
            // Newest first: a sync asks again for what the last syncs asked.
            memo.iter().rev().find(|(s, z, at, _)| *at == t && s == self && z == tz).map(|&(.., next)| next)
        });
        if let Some(next) = known {
            return next;
        }
        let next = self.walk(t, tz);
        NEXT.with_borrow_mut(|memo| {
            if memo.len() == NEXT_CAPACITY {
                memo.pop_front();
            }
            memo.push_back((self.clone(), tz.clone(), t, next));
        });
        next
    }

    /// [`Schedule::next`] worked out: the calendar walk.
    fn walk(&self, t: Millis, tz: &TimeZone) -> Option<Millis> {
        let (minute, hour, dom, month, dow) = match *self {
            // Past the end of time there is no next run (and no overflow).
            Schedule::Every(d) => return t.div_euclid(1000).checked_mul(1000)?.checked_add(d),
            Schedule::Spec { minute, hour, dom, month, dow } => (minute, hour, dom, month, dow),
        };
        // Next whole second after t.
        let start = Timestamp::from_millisecond(t.div_euclid(1000).checked_add(1)?.checked_mul(1000)?).ok()?;
        let mut z = start.to_zoned(tz.clone());
        let year_limit = z.year() + 5;
        let mut added = false;
        let day_matches = |z: &Zoned| {
            let d = has(dom, z.day());
            let w = has(dow, z.weekday().to_sunday_zero_offset());
            if dom & STAR != 0 || dow & STAR != 0 {
                d && w
            } else {
                d || w
            }
        };
        'wrap: loop {
            if z.year() > year_limit {
                return None;
            }
            while !has(month, z.month()) {
                if !added {
                    added = true;
                    z = date(tz, DateTime::new(z.year(), z.month(), 1, 0, 0, 0, 0).ok()?)?;
                }
                z = date(tz, z.datetime().checked_add(jiff::Span::new().months(1)).ok()?)?;
                if z.month() == 1 {
                    continue 'wrap;
                }
            }
            while !day_matches(&z) {
                if !added {
                    added = true;
                    z = date(tz, DateTime::new(z.year(), z.month(), z.day(), 0, 0, 0, 0).ok()?)?;
                }
                z = date(tz, z.datetime().checked_add(jiff::Span::new().days(1)).ok()?)?;
                // upstream: a DST change can leave the walk off midnight; put it back.
                let h = z.hour() as i64;
                if h != 0 {
                    let shift = if h > 12 { 24 - h } else { -h };
                    z = z.timestamp().checked_add(jiff::SignedDuration::from_hours(shift)).ok()?.to_zoned(tz.clone());
                }
                if z.day() == 1 {
                    continue 'wrap;
                }
            }
            while !has(hour, z.hour()) {
                if !added {
                    added = true;
                    z = date(tz, DateTime::new(z.year(), z.month(), z.day(), z.hour(), 0, 0, 0).ok()?)?;
                }
                z = z.timestamp().checked_add(jiff::SignedDuration::from_hours(1)).ok()?.to_zoned(tz.clone());
                if z.hour() == 0 {
                    continue 'wrap;
                }
            }
            while !has(minute, z.minute()) {
                if !added {
                    added = true;
                    let ms = z.timestamp().as_millisecond();
                    z = Timestamp::from_millisecond(ms.div_euclid(60_000) * 60_000).ok()?.to_zoned(tz.clone());
                }
                z = z.timestamp().checked_add(jiff::SignedDuration::from_mins(1)).ok()?.to_zoned(tz.clone());
                if z.minute() == 0 {
                    continue 'wrap;
                }
            }
            // Standard specs fire at second 0.
            if z.second() != 0 {
                added = true;
                let ms = z.timestamp().as_millisecond();
                z = Timestamp::from_millisecond(ms.div_euclid(60_000) * 60_000 + 60_000).ok()?.to_zoned(tz.clone());
                continue 'wrap;
            }
            return Some(z.timestamp().as_millisecond());
        }
    }
}

/// The zone a CronJob's schedule runs in: `timeZone`, or UTC (kube-controller-manager's usual
/// local zone). An unknown name is an error worded as Go's LoadLocation words it.
pub fn zone(name: Option<&str>) -> Result<TimeZone, String> {
    match name {
        None => Ok(TimeZone::UTC),
        Some("UTC") | Some("") => Ok(TimeZone::UTC),
        Some(n) => TimeZone::get(n).map_err(|_| format!("unknown time zone {n}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Millis {
        s.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn show(t: Option<Millis>, tz: &TimeZone) -> String {
        t.map(|t| {
            Timestamp::from_millisecond(t).unwrap().to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
        })
        .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn a_step_past_the_range_sets_the_start_alone() {
        // upstream steps in 64 bits: a step of 2^32 - 1 from 59 lands past 59, not back at 0.
        let Ok(Schedule::Spec { minute, .. }) = parse("59/4294967295 * * * *") else { panic!("parses") };
        assert_eq!(minute, 1 << 59);
    }

    #[test]
    fn parse_errors_are_robfigs() {
        let rows = [
            ("", "empty spec string"),
            ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
            ("61 * * * *", "end of range (61) above maximum (59): 61"),
            ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
            ("* * * * 7", "end of range (7) above maximum (6): 7"),
            ("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"),
            ("@fortnightly", "unrecognized descriptor: @fortnightly"),
            ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
            ("*/0 * * * *", "step of range should be a positive number: */0"),
        ];
        for (spec, want) in rows {
            assert_eq!(parse(spec).unwrap_err(), want, "{spec:?}");
        }
        for ok in [
            "*/5 * * * *",
            "0 0 * * sun",
            "30 6-16/4 * * 1-5",
            "0 0 1 jan,JUL *",
            "@hourly",
            "@every 1h30m",
            "? * * * ?",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn every_reads_durations_as_go_does() {
        let every = |ms: Millis| Ok(Schedule::Every(ms));
        assert_eq!(parse("@every 1h30m"), every(5_400_000));
        assert_eq!(parse("@every 1.5s"), every(1000), "whole seconds only");
        assert_eq!(parse("@every -5s"), every(1000), "below a second is a second");
        assert_eq!(parse("@every 2562047h"), every(2_562_047 * 3_600_000));
        // Past 2^63 − 1 ns Go's ParseDuration refuses the text; it once saturated here, and the
        // next run after any time then overflowed.
        let rows = [
            ("@every 2562048h", "time: invalid duration \"2562048h\""),
            ("@every 99999999999999999999s", "time: invalid duration \"99999999999999999999s\""),
            ("@every 1", "time: missing unit in duration \"1\""),
            ("@every 1d", "time: unknown unit \"d\" in duration \"1d\""),
            ("@every .s", "time: invalid duration \".s\""),
        ];
        for (spec, want) in rows {
            assert_eq!(parse(spec), Err(format!("failed to parse duration {spec}: {want}")), "{spec}");
        }
    }

    #[test]
    fn no_next_run_past_the_end_of_time() {
        let utc = TimeZone::UTC;
        let longest = parse("@every 2562047h").unwrap();
        assert_eq!(longest.next(i64::MAX - 1000, &utc), None);
        assert_eq!(parse("@every 1s").unwrap().next(i64::MIN, &utc), None);
        assert_eq!(parse("* * * * *").unwrap().next(i64::MAX, &utc), None);
        assert_eq!(parse("* * * * *").unwrap().next(i64::MIN, &utc), None);
    }

    #[test]
    fn next_times_in_utc() {
        let utc = TimeZone::UTC;
        // T = 2016-05-19T10:00:00Z, a Thursday (the upstream rows' reference time).
        let rows = [
            ("0 * * * *", "2016-05-19T10:00:00Z", "2016-05-19T11:00:00+00:00"),
            ("*/5 * * * *", "2016-05-19T10:02:30Z", "2016-05-19T10:05:00+00:00"),
            ("30 6-16/4 * * 1-5", "2016-05-19T14:30:00Z", "2016-05-20T06:30:00+00:00"),
            ("0 12 * * 5", "2016-05-19T16:00:00Z", "2016-05-20T12:00:00+00:00"),
            ("@every 1h", "2016-05-19T10:00:00Z", "2016-05-19T11:00:00+00:00"),
            ("59 23 31 2 *", "2016-05-19T10:00:00Z", "none"),
            ("@yearly", "2016-05-19T10:00:00Z", "2017-01-01T00:00:00+00:00"),
            ("@weekly", "2016-05-19T10:00:00Z", "2016-05-22T00:00:00+00:00"),
        ];
        for (spec, from, want) in rows {
            assert_eq!(show(parse(spec).unwrap().next(ms(from), &utc), &utc), want, "{spec} after {from}");
        }
    }

    #[test]
    fn day_of_month_or_day_of_week_unless_either_is_a_star() {
        let utc = TimeZone::UTC;
        // Neither is `*`: the 13th OR a Friday. 2016-05-19 is a Thursday: Friday the 20th comes first.
        let or = parse("0 0 13 * 5").unwrap().next(ms("2016-05-19T10:00:00Z"), &utc);
        assert_eq!(show(or, &utc), "2016-05-20T00:00:00+00:00");
        // `*` in day of month: Fridays only.
        let and = parse("0 0 * * 5").unwrap().next(ms("2016-05-19T10:00:00Z"), &utc);
        assert_eq!(show(and, &utc), "2016-05-20T00:00:00+00:00");
        // `*/2` is not a star: days 1, 3, 5, … OR Sundays.
        let step = parse("0 0 */2 * 0").unwrap().next(ms("2016-05-19T10:00:00Z"), &utc);
        assert_eq!(show(step, &utc), "2016-05-21T00:00:00+00:00");
    }

    #[test]
    fn time_zones_and_daylight_saving() {
        let ny = zone(Some("America/New_York")).unwrap();
        let rows = [
            // 09:00 New York is 13:00Z in summer, 14:00Z in winter.
            ("0 9 * * *", "2026-07-01T12:00:00Z", "2026-07-01T09:00:00-04:00"),
            ("0 9 * * *", "2026-01-01T15:00:00Z", "2026-01-02T09:00:00-05:00"),
            // 2026-03-08: 02:30 does not exist in New York; robfig walks whole hours, so that
            // day has no run and the next is the 9th.
            ("30 2 * * *", "2026-03-08T05:00:00Z", "2026-03-09T02:30:00-04:00"),
            // 2026-11-01: 01:30 happens twice; the first (EDT) is taken.
            ("30 1 * * *", "2026-11-01T04:00:00Z", "2026-11-01T01:30:00-04:00"),
        ];
        for (spec, from, want) in rows {
            assert_eq!(show(parse(spec).unwrap().next(ms(from), &ny), &ny), want, "{spec} after {from}");
        }
        assert_eq!(zone(Some("Europe/Pariss")).unwrap_err(), "unknown time zone Europe/Pariss");
    }

    #[test]
    fn remembered_answers_are_per_text_schedule_zone_and_time() {
        let (utc, ny) = (TimeZone::UTC, zone(Some("America/New_York")).unwrap());
        let (t, later) = (ms("2026-07-01T00:30:00Z"), ms("2026-07-01T09:30:00Z"));
        // Twice over: the second round is answered from what the first remembered.
        for round in 0..2 {
            let daily = parse("0 9 * * *").unwrap();
            let hourly = parse("0 * * * *").unwrap();
            assert_ne!(daily, hourly, "round {round}");
            assert_eq!(daily.next(t, &utc), Some(ms("2026-07-01T09:00:00Z")), "round {round}");
            assert_eq!(daily.next(t, &ny), Some(ms("2026-07-01T13:00:00Z")), "round {round}");
            assert_eq!(daily.next(later, &utc), Some(ms("2026-07-02T09:00:00Z")), "round {round}");
            assert_eq!(hourly.next(t, &utc), Some(ms("2026-07-01T01:00:00Z")), "round {round}");
            assert_eq!(parse("0 9 * *").unwrap_err(), "expected exactly 5 fields, found 4: [0 9 * *]");
            assert_eq!(parse("@hourly"), Ok(hourly));
        }
    }
}
