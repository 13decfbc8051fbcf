//! Virtual time: integer milliseconds, a fixed epoch, a `(time, sequence)` event queue, and
//! duration parsing. Nothing here reads the wall clock.

use std::collections::BTreeMap;

/// Milliseconds. Absolute times are Unix milliseconds on the virtual clock.
pub type Millis = i64;

/// 2026-01-01T00:00:00Z, the default start of every simulation.
pub const DEFAULT_EPOCH_MS: Millis = 1_767_225_600_000;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Clock {
    start: Millis,
    now: Millis,
}

impl Clock {
    pub fn new(start: Millis) -> Clock {
        Clock { start, now: start }
    }
    /// Absolute virtual time (Unix milliseconds).
    pub fn now(&self) -> Millis {
        self.now
    }
    pub fn start(&self) -> Millis {
        self.start
    }
    /// Milliseconds since the simulation started.
    pub fn elapsed(&self) -> Millis {
        self.now - self.start
    }
    /// Move to `t`; time never goes backwards.
    pub fn set(&mut self, t: Millis) {
        if t > self.now {
            self.now = t;
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new(DEFAULT_EPOCH_MS)
    }
}

/// A timer queue ordered by `(time, insertion sequence)`: ties break by the order timers were
/// set, never by hashing or thread timing. Timers are kept in one bucket per instant, in the
/// order they were set: a simulation sets them by the thousand for the same few instants, and
/// taking a whole instant's bucket costs nothing per timer (a heap pays a sift for each).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct EventQueue<T> {
    buckets: BTreeMap<Millis, Vec<T>>,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue { buckets: BTreeMap::new() }
    }
}

impl<T> EventQueue<T> {
    pub fn push(&mut self, at: Millis, item: T) {
        // A lone timer's bucket holds just it (instants with one timer are common too).
        self.buckets.entry(at).or_insert_with(|| Vec::with_capacity(1)).push(item);
    }
    /// When the earliest timer is due.
    pub fn next_time(&self) -> Option<Millis> {
        self.buckets.first_key_value().map(|(t, _)| *t)
    }
    /// Take every timer of the earliest instant, in the order they were set, if it is at or
    /// before `now`.
    pub fn pop_due(&mut self, now: Millis) -> Option<(Millis, Vec<T>)> {
        self.buckets.first_entry().filter(|e| *e.key() <= now).map(|e| e.remove_entry())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason}")]
pub struct DurationError {
    pub input: String,
    pub reason: String,
}

/// Parse a Go-style duration (`"1m30s"`, `"250ms"`, `"1.5h"`, `"2h45m"`) or a bare number of
/// seconds (`"90"`, `"0.5"`, `"1e3"`) into milliseconds. Fractions below a millisecond are
/// truncated.
pub fn parse_duration(input: &str) -> Result<Millis, DurationError> {
    let err = |reason: &str| DurationError { input: input.to_string(), reason: reason.to_string() };
    let s = input.trim();
    if s.is_empty() {
        return Err(err("empty"));
    }
    let (negative, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        // A bare decimal is seconds, read exactly as a duration in `s` would be.
        return decimal_nanos(rest, NANOS_PER_SECOND)
            .ok()
            .and_then(|ns| nanos_to_millis(ns, negative))
            .ok_or_else(|| err("must be a finite, non-negative number"));
    }
    if let Ok(secs) = s.parse::<f64>() {
        return seconds_to_millis(secs).ok_or_else(|| err("must be a finite, non-negative number"));
    }
    // upstream: time.ParseDuration sums each `<decimal><unit>` in whole nanoseconds, integer
    // arithmetic throughout, so `1.001s` is exactly 1001 ms (a float sum makes it 1000.99…).
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return Err(err("expected a number"));
        }
        let number = &rest[..num_len];
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit_ns: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => NANOS_PER_SECOND,
            "m" => 60 * NANOS_PER_SECOND,
            "h" => 3_600 * NANOS_PER_SECOND,
            "d" => 86_400 * NANOS_PER_SECOND,
            "" => return Err(err("missing unit (use ms, s, m, h or d)")),
            _ => return Err(err(&format!("unknown unit {unit:?} (use ms, s, m, h or d)"))),
        };
        let ns = decimal_nanos(number, unit_ns).map_err(err)?;
        total = total.checked_add(ns).ok_or_else(|| err("too large"))?;
    }
    match nanos_to_millis(total, negative) {
        Some(ms) => Ok(ms),
        None if negative && total > 0 => Err(err("must not be negative")),
        None => Err(err("too large")),
    }
}

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// `digits[.digits]` times `unit_ns`, in whole nanoseconds (the fraction truncated, as
/// upstream's `leadingFraction` does).
fn decimal_nanos(number: &str, unit_ns: u128) -> Result<u128, &'static str> {
    const TOO_LARGE: &str = "too large";
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return Err("bad number");
    }
    let mut ns: u128 = 0;
    for d in whole.bytes() {
        ns = ns.checked_mul(10).and_then(|n| n.checked_add(u128::from(d - b'0'))).ok_or(TOO_LARGE)?;
    }
    ns = ns.checked_mul(unit_ns).ok_or(TOO_LARGE)?;
    // Digits past the 18th change the sum by less than a nanosecond of the largest unit.
    let (mut f, mut scale) = (0u128, 1u128);
    for d in fraction.bytes().take(18) {
        f = f * 10 + u128::from(d - b'0');
        scale *= 10;
    }
    ns.checked_add(f * unit_ns / scale).ok_or(TOO_LARGE)
}

/// Whole milliseconds of `ns`, if they fit; a negative duration only if it is zero.
fn nanos_to_millis(ns: u128, negative: bool) -> Option<Millis> {
    if negative && ns > 0 {
        return None;
    }
    Millis::try_from(ns / 1_000_000).ok()
}

pub fn seconds_to_millis(secs: f64) -> Option<Millis> {
    (secs.is_finite() && secs >= 0.0 && secs * 1e3 < i64::MAX as f64).then_some((secs * 1e3) as Millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_go() {
        for (s, ms) in [
            ("1m30s", 90_000),
            ("250ms", 250),
            ("1.5h", 5_400_000),
            ("2h45m", 9_900_000),
            ("90", 90_000),
            ("0.5", 500),
            ("0", 0),
            ("1d", 86_400_000),
            ("-0s", 0),
            (".5s", 500),
            ("5.s", 5_000),
            ("1e3", 1_000_000),
            ("9223372036854775807ms", i64::MAX),
        ] {
            assert_eq!(parse_duration(s), Ok(ms), "{s}");
        }
        for bad in ["", "abc", "5x", "-1s", "1m30", "s", ".", "1..2s", "-1", "9223372036854775808ms"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(
            parse_duration("5x").unwrap_err().to_string(),
            "invalid duration \"5x\": unknown unit \"x\" (use ms, s, m, h or d)"
        );
    }

    #[test]
    fn fractions_are_exact_to_the_millisecond() {
        // A float sum reads 1.001s as 1000.999… ms and truncates it to 1000.
        for (s, ms) in [("1.001s", 1001), ("1.001", 1001), ("0.3s", 300), ("2.675s", 2675), ("1.9999999s", 1999)] {
            assert_eq!(parse_duration(s), Ok(ms), "{s}");
        }
        for ms in [1001, 86_399_999, 4_503_599_627_370_497] {
            assert_eq!(parse_duration(&format_go_duration(ms)), Ok(ms), "{ms} printed and read back");
        }
    }

    #[test]
    fn queue_orders_by_time_then_insertion() {
        let mut q = EventQueue::default();
        q.push(20, "c");
        q.push(10, "a");
        q.push(10, "b");
        q.push(5, "z");
        assert_eq!(q.next_time(), Some(5));
        assert_eq!(q.pop_due(4), None);
        let mut got = vec![];
        while let Some((t, xs)) = q.pop_due(20) {
            got.extend(xs.into_iter().map(|x| (t, x)));
        }
        assert_eq!(got, [(5, "z"), (10, "a"), (10, "b"), (20, "c")]);
        assert!(q.next_time().is_none(), "every timer taken");
    }

    #[test]
    fn clock_never_goes_backwards() {
        let mut c = Clock::default();
        c.set(DEFAULT_EPOCH_MS + 1000);
        c.set(DEFAULT_EPOCH_MS);
        assert_eq!(c.elapsed(), 1000);
    }
}

/// Go's `time.Duration.String()` for whole milliseconds: `10s`, `5m0s`, `1h2m3s`, `1.5s`.
pub fn format_go_duration(ms: Millis) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let neg = ms < 0;
    let ms = ms.unsigned_abs();
    let (h, rem) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    let (s, frac) = (rem / 1000, rem % 1000);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if ms < 1000 {
        out.push_str(&format!("{ms}ms"));
        return out;
    }
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if frac == 0 {
        out.push_str(&format!("{s}s"));
    } else {
        let f = format!("{frac:03}");
        out.push_str(&format!("{s}.{}s", f.trim_end_matches('0')));
    }
    out
}

#[cfg(test)]
mod go_duration_tests {
    use super::format_go_duration;

    #[test]
    fn formats_like_go() {
        for (ms, s) in
            [(10_000, "10s"), (300_000, "5m0s"), (3_723_000, "1h2m3s"), (1500, "1.5s"), (250, "250ms"), (0, "0s")]
        {
            assert_eq!(format_go_duration(ms), s);
        }
    }
}
