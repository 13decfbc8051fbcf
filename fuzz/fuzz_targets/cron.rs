//! CronJob schedule text → `schedule::parse` (robfig/cron's ParseStandard) and the time walk
//! behind the CronJob controller: `Schedule::next`, `most_recent_schedule_time`, `next_wakeup`.
//! The input is lines: `schedule`, then optionally `timeZone` (absent: none), a time, a later
//! "now" and a `startingDeadlineSeconds` (decimal milliseconds and seconds; absent: defaults).
//! Besides "no panic, no hang": a descriptor (`@hourly` …) parses as the five fields it stands
//! for; a next time is strictly after the time asked about, in whole seconds, and in UTC falls
//! on second 0 and on the minute, hour, day and month the fields allow; a most recent time lies
//! after the earliest time and not after now.
#![no_main]

use _native::controllers::cronjob::schedule::{parse, zone, Schedule};
use _native::controllers::cronjob::{most_recent_schedule_time, next_wakeup};
use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;

/// 2016-05-19T10:00:00Z, a Thursday (upstream's reference time in utils_test.go).
const T: i64 = 1_463_652_000_000;

fn has(bits: u64, v: i8) -> bool {
    bits & (1u64 << v as u32) != 0
}

/// Whether `at` (UTC) is a time a five-field schedule fires at.
fn fires_at(s: &Schedule, at: i64) -> bool {
    let Schedule::Spec { minute, hour, dom, month, dow } = *s else { return true };
    let star = 1u64 << 63;
    let z = Timestamp::from_millisecond(at).expect("a next time is a timestamp").to_zoned(jiff::tz::TimeZone::UTC);
    let (d, w) = (has(dom, z.day()), has(dow, z.weekday().to_sunday_zero_offset()));
    let day = if dom & star != 0 || dow & star != 0 { d && w } else { d || w };
    z.second() == 0
        && z.subsec_nanosecond() == 0
        && has(minute, z.minute())
        && has(hour, z.hour())
        && day
        && has(month, z.month())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let spec = lines.next().unwrap_or_default();
    let tz_name = lines.next();
    let mut number = |default: i64| lines.next().map_or(Some(default), |l| l.trim().parse::<i64>().ok());
    let (Some(t), Some(now_offset), Some(deadline)) = (number(T), number(3_600_000), number(-1)) else { return };
    let deadline = (deadline >= 0).then_some(deadline);

    let parsed = parse(spec);
    assert_eq!(parsed, parse(spec), "a schedule parses the same twice (the second from memory)");
    let Ok(sched) = parsed else { return };
    let expansion = match spec.trim() {
        "@yearly" | "@annually" => Some("0 0 1 1 *"),
        "@monthly" => Some("0 0 1 * *"),
        "@weekly" => Some("0 0 * * 0"),
        "@daily" | "@midnight" => Some("0 0 * * *"),
        "@hourly" => Some("0 * * * *"),
        _ => None,
    };
    if let Some(fields) = expansion {
        assert_eq!(parse(fields).as_ref(), Ok(&sched), "{spec} is {fields}");
    }
    let Ok(tz) = zone(tz_name) else { return };
    let utc = tz_name.is_none_or(|n| n.is_empty() || n == "UTC");

    if let Some(next) = sched.next(t, &tz) {
        assert!(next > t, "{spec:?} in {tz_name:?}: next after {t} is {next}, not after it");
        assert_eq!(next.rem_euclid(1000), 0, "{spec:?}: {next} is not a whole second");
        if utc {
            assert!(fires_at(&sched, next), "{spec:?}: {next} is not a time the schedule fires at");
        }
        assert_eq!(sched.next(t, &tz), Some(next), "a next time is answered the same twice");
    }

    let Some(now) = t.checked_add(now_offset) else { return };
    if let Ok((earliest, recent, _)) = most_recent_schedule_time(&sched, &tz, t, deadline, now) {
        if let Some(r) = recent {
            assert!(r > earliest && r <= now, "{spec:?}: most recent {r} outside ({earliest}, {now}]");
        }
    }
    let _ = next_wakeup(&sched, &tz, t, now);
});
