//! kubectl's output, computed from stored objects: the server-side table columns of
//! `kubectl get`, the tab writer's alignment and the HumanDuration ages (kubectl.md §3).

pub mod batch_table;
pub mod describe;
pub mod table;
pub mod top;

use crate::sim::clock::Millis;

/// upstream: duration.HumanDuration — floors everywhere.
pub fn human_duration(d: Millis) -> String {
    if d < -1000 {
        return "<invalid>".into();
    }
    if d < 0 {
        return "0s".into();
    }
    let s = d / 1000;
    let (m, h, days) = (s / 60, s / 3600, s / 86_400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 8 * 24 {
        if h % 24 == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{}h", h % 24)
        }
    } else if days < 730 {
        format!("{days}d")
    } else if days < 8 * 365 {
        if days % 365 == 0 {
            format!("{}y", days / 365)
        } else {
            format!("{}y{}d", days / 365, days % 365)
        }
    } else {
        format!("{}y", days / 365)
    }
}

/// cli-runtime's tab writer: minwidth 6, padding 3; the last cell of a line is not padded.
/// Columns align within a block of consecutive lines that have them.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                widths[i] = widths[i].max(cell.chars().count() + 3).max(6);
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                out.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_upstream_test_points() {
        let s = 1000;
        for (d, want) in [
            (s, "1s"),
            (70 * s, "70s"),
            (190 * s, "3m10s"),
            (70 * 60 * s, "70m"),
            (47 * 3600 * s, "47h"),
            (49 * 3600 * s, "2d1h"),
            ((8 * 24 + 2) * 3600 * s, "8d"),
            (367 * 86_400 * s, "367d"),
            ((2 * 365 * 24 + 25) * 3600 * s, "2y1d"),
            ((8 * 365 * 24 + 2) * 3600 * s, "8y"),
            ((10 * 60 + 1) * s, "10m"),
            ((8 * 60 + 59) * 60 * s, "8h"),
            (120 * s, "2m"),
            (-500, "0s"),
            (-2000, "<invalid>"),
        ] {
            assert_eq!(human_duration(d), want, "{d}");
        }
    }

    #[test]
    fn tab_writer_aligns_like_kubectl() {
        let rows = vec![
            vec!["NAME".into(), "READY".into(), "UP-TO-DATE".into(), "AVAILABLE".into(), "AGE".into()],
            vec!["web".into(), "3/3".into(), "3".into(), "3".into(), "3h2m".into()],
        ];
        assert_eq!(
            tabwrite(&rows),
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    3/3     3            3           3h2m\n"
        );
    }
}
