//! Completion indexes of Indexed Jobs: the interval text of `status.completedIndexes` and
//! `status.failedIndexes` (upstream `indexed_job_utils.go`), and the index a pod carries.

use std::collections::BTreeSet;

use crate::api::Object;

/// The label and annotation that carry a pod's completion index.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// The index a pod carries (annotation first, as upstream's getCompletionIndex), if valid.
pub fn of_pod(pod: &Object) -> Option<i32> {
    let text = pod.meta.annotations.get(COMPLETION_INDEX).or_else(|| pod.meta.labels.get(COMPLETION_INDEX))?;
    text.parse::<i32>().ok().filter(|&i| i >= 0)
}

/// upstream: parseIndexesFromString — ascending intervals `a-b` or single numbers, separated by
/// commas; malformed parts are skipped and indexes at or past `completions` are dropped.
pub fn parse(text: &str, completions: i32) -> BTreeSet<i32> {
    let mut out = BTreeSet::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => match (a.parse::<i32>(), b.parse::<i32>()) {
                (Ok(a), Ok(b)) => (a, b),
                _ => continue,
            },
            None => match part.parse::<i32>() {
                Ok(a) => (a, a),
                Err(_) => continue,
            },
        };
        if lo < 0 {
            continue;
        }
        for i in lo..=hi.min(completions - 1) {
            out.insert(i);
        }
    }
    out
}

/// upstream: parseIndexesFromString as successPolicy validation uses it: every part must
/// parse, intervals must ascend, and every index must be below `completions`.
pub fn parse_strict(text: &str, completions: i32) -> Result<BTreeSet<i32>, String> {
    let mut out = BTreeSet::new();
    let mut last: Option<i32> = None;
    for part in text.split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let a = number(part)?;
                (a, a)
            }
        };
        if lo > hi {
            return Err(format!("lower interval bound {lo} is greater than the upper bound {hi}"));
        }
        if last.is_some_and(|l| lo <= l) {
            return Err("overlapping or unordered intervals".to_string());
        }
        if hi >= completions {
            return Err("too large: index must be less than the value of completions".to_string());
        }
        out.extend(lo..=hi);
        last = Some(hi);
    }
    Ok(out)
}

fn number(s: &str) -> Result<i32, String> {
    s.parse::<i32>().ok().filter(|&n| n >= 0).ok_or_else(|| format!("cannot parse integer index: {s:?}"))
}

/// The interval text: a run of three or more is `a-b`, shorter runs are listed (`0,2,3,5-7`).
pub fn format(set: &BTreeSet<i32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = set.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        match end - start {
            0 => parts.push(start.to_string()),
            1 => {
                parts.push(start.to_string());
                parts.push(end.to_string());
            }
            _ => parts.push(format!("{start}-{end}")),
        }
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[i32]) -> BTreeSet<i32> {
        v.iter().copied().collect()
    }

    #[test]
    fn intervals_format_as_upstream_writes_them() {
        // upstream TestCalculateSucceededIndexes: 2, 3, 5, 6, 7 of 8.
        assert_eq!(format(&set(&[2, 3, 5, 6, 7])), "2,3,5-7");
        assert_eq!(format(&set(&[0, 2, 3, 5, 6, 7])), "0,2,3,5-7");
        assert_eq!(format(&set(&[])), "");
        assert_eq!(format(&set(&[4])), "4");
    }

    #[test]
    fn parsing_drops_what_completions_excludes_and_skips_garbage() {
        let rows: [(&str, i32, &[i32], &str); 4] = [
            ("0-5,8-10", 8, &[0, 1, 2, 3, 4, 5], "indexes past completions 8 are dropped"),
            ("0-5,8-10", 10, &[0, 1, 2, 3, 4, 5, 8, 9], "completions 10 keeps 8 and 9"),
            ("0,4,5,10-12", 13, &[0, 4, 5, 10, 11, 12], "singles, a pair and a run"),
            ("0,1-foo,bar", 4, &[0], "malformed parts are skipped"),
        ];
        for (text, completions, want, why) in rows {
            assert_eq!(parse(text, completions), set(want), "{why}");
        }
        // upstream: prev `0,4,5,10-12` plus 2, 7, 8 with completions 13.
        let mut s = parse("0,4,5,10-12", 13);
        s.extend([2, 7, 8]);
        assert_eq!(format(&s), "0,2,4,5,7,8,10-12");
        let mut s = parse("0,1-foo,bar", 4);
        s.insert(3);
        assert_eq!(format(&s), "0,3");
    }

    #[test]
    fn strict_parsing_names_what_is_wrong() {
        assert_eq!(parse_strict("0,2-3", 4).unwrap(), set(&[0, 2, 3]));
        assert!(parse_strict("3-1", 4).is_err());
        assert!(parse_strict("1,0", 4).is_err());
        assert!(parse_strict("0-4", 4).is_err());
        assert!(parse_strict("x", 4).is_err());
    }
}
