use super::schedule::{parse, zone};
use super::*;

/// 2016-05-19T10:00:00Z, a Thursday: the reference time of upstream's utils_test.go.
const T: Millis = 1_463_652_000_000;
const S: Millis = 1000;
const M: Millis = 60 * S;
const H: Millis = 60 * M;
const D: Millis = 24 * H;

/// (schedule, earliest, startingDeadlineSeconds, now, most recent, missed, why).
type Row = (&'static str, Millis, Option<i64>, Millis, Option<Millis>, Missed, &'static str);

#[test]
fn most_recent_schedule_time_matches_upstream_rows() {
    let utc = TimeZone::UTC;
    // (schedule, earliest = lastScheduleTime or creation, startingDeadlineSeconds, now, want, missed)
    let rows: [Row; 7] = [
        ("0 * * * *", T, None, T + 30 * S, None, Missed::None, "not yet due"),
        ("0 * * * *", T, None, T + 61 * M, Some(T + 60 * M), Missed::None, "one due"),
        ("0 * * * *", T + 10 * S, None, T + 301 * M, Some(T + 300 * M), Missed::Few, "five missed"),
        ("30 6-16/4 * * 1-5", T + 30 * M, None, T + D + 31 * M, Some(T + D + 30 * M), Missed::Few, "uneven gaps"),
        (
            "30 10,11,12 * * 1-5",
            T + 30 * M,
            None,
            T + 30 * H + 30 * M,
            None,
            Missed::Few,
            "the walk starts at Fri 15:30, past the last run (an upstream approximation)",
        ),
        // upstream's row has startingDeadlineSeconds 10 but computes without it.
        ("@every 1h", T + M, None, T + 7 * D, Some(T + 6 * D + 23 * H + M), Missed::Many, "a week of hours"),
        ("*/5 * * * *", T + 30 * M, Some(60), T + 32 * M, None, Missed::None, "the deadline moves earliest to T+31m"),
    ];
    for (spec, earliest, deadline, now, want, missed, why) in rows {
        let sched = parse(spec).unwrap();
        let (_, got, got_missed) = most_recent_schedule_time(&sched, &utc, earliest, deadline, now).unwrap();
        assert_eq!((got, got_missed), (want, missed), "{spec}: {why}");
    }
    let never = parse("59 23 31 2 *").unwrap();
    assert_eq!(
        most_recent_schedule_time(&never, &utc, T, None, T + H).unwrap_err(),
        "time difference between two schedules is less than 1 second"
    );
}

#[test]
fn the_controller_wakes_a_little_after_the_next_run() {
    let utc = TimeZone::UTC;
    let rows: [(&str, Millis, Millis, Millis); 3] = [
        ("30 6-16/4 * * 1-5", T + 30 * M, T + D + 31 * M, 3 * H + 59 * M),
        ("30 10,11,12 * * 1-5", T + 30 * M, T + 30 * H + 30 * M, 66 * H),
        ("0 12 * * 5", T, T + 6 * H, 20 * H),
    ];
    for (spec, earliest, now, want) in rows {
        let at = next_wakeup(&parse(spec).unwrap(), &utc, earliest, now).unwrap();
        assert_eq!(at - now, want + NEXT_SCHEDULE_DELTA, "{spec}");
    }
}

#[test]
fn job_names_carry_the_scheduled_minute() {
    // upstream: getJobName — `hello` scheduled at T (unix 1463652000) is hello-24394200.
    assert_eq!(T.div_euclid(60_000), 24_394_200);
    let ny = zone(Some("America/New_York")).unwrap();
    assert_eq!(to_time(T).0.to_zoned(ny).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(), "2016-05-19T06:00:00-04:00");
}

#[test]
fn any_starting_deadline_is_a_deadline_not_an_overflow() {
    // startingDeadlineSeconds is validated only as non-negative: i64::MAX seconds is "no
    // deadline", not a multiplication that overflows.
    let sched = parse("0 * * * *").unwrap();
    let got = most_recent_schedule_time(&sched, &TimeZone::UTC, T, Some(i64::MAX), T + 61 * M).unwrap();
    assert_eq!(got, (T, Some(T + 60 * M), Missed::None));
}

#[test]
fn a_cronjob_with_the_largest_deadline_runs() {
    use crate::api::Kind;
    use crate::cluster::{Cluster, ClusterOptions};
    let mut c = Cluster::new(ClusterOptions::default()).unwrap();
    let manifest = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: hello}\nspec:\n  schedule: '*/1 * * * *'\n  startingDeadlineSeconds: 9223372036854775807\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers: [{name: hello, image: busybox}]\n";
    for r in c.apply_text(manifest, "cronjob.yaml").unwrap() {
        r.unwrap();
    }
    c.advance(2 * M + S).unwrap();
    assert!(!c.list(Kind::Job, Some("default"), "").unwrap().is_empty(), "the deadline never passes");
}
