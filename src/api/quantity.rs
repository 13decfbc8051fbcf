//! `resource.Quantity` parsing: `100m`, `1`, `0.5`, `128Mi`, `1G`, `1e3`.

/// A quantity in thousandths of its unit (millicores for CPU, millibytes for memory), rounded
/// up as `Quantity.MilliValue()` does. `None` if the text is not a quantity.
pub fn parse_milli(text: &str) -> Option<i128> {
    let s = text.trim();
    let (sign, s) = match s.strip_prefix('-') {
        Some(rest) => (-1i128, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let num_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(num_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    // value = digits × 10^(exp10) × 2^(exp2)
    let digits: i128 = format!("{int_part}{frac_part}").parse().ok()?;
    let mut exp10: i32 = -(frac_part.len() as i32);
    let mut exp2: u32 = 0;
    match suffix {
        "" => {}
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        e if e.starts_with(['e', 'E']) => exp10 += e[1..].parse::<i32>().ok()?,
        _ => return None,
    }
    exp10 += 3; // to milli-units
    let mut v = digits.checked_mul(1i128.checked_shl(exp2)?)?;
    if exp10 >= 0 {
        v = v.checked_mul(10i128.checked_pow(exp10 as u32)?)?;
    } else {
        let d = 10i128.checked_pow((-exp10) as u32)?;
        v = (v + d - 1) / d; // round up
    }
    Some(sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_to_milli_units() {
        for (q, m) in [
            ("100m", 100),
            ("1", 1000),
            ("0.5", 500),
            ("2", 2000),
            ("1500m", 1500),
            ("128Mi", 128 * 1024 * 1024 * 1000),
            ("1G", 1_000_000_000_000),
            ("1e3", 1_000_000),
            ("1.5Gi", 1610612736000),
            ("1n", 1),
        ] {
            assert_eq!(parse_milli(q), Some(m), "{q}");
        }
        for bad in ["", "abc", "1x", "1.2.3", "m", "--1"] {
            assert_eq!(parse_milli(bad), None, "{bad}");
        }
    }
}
