//! Quantities (apimachinery `resource.Quantity`, the parts the API server shows): exact parsing,
//! canonical printing and comparison.

use std::cmp::Ordering;

/// upstream: resource.ErrFormatWrong. The API server rejects such a manifest while decoding
/// (HTTP 400); kubesim reports it at the field path instead.
pub(crate) const QUANTITY_FORMAT_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// upstream: resource.ErrSuffix.
const QUANTITY_SUFFIX_ERROR: &str = "unable to parse quantity's suffix";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuantityFormat {
    DecimalSI,
    BinarySI,
    DecimalExponent,
}

/// An exact quantity `mantissa × 10^exp10`, with the format its suffix asked for and, when the
/// input was already in canonical form, the input itself (upstream caches it and prints it back
/// verbatim).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParsedQuantity {
    mantissa: i128,
    exp10: i32,
    format: QuantityFormat,
    cached: Option<String>,
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Divides by 10^n rounding away from zero (inf.RoundUp).
fn div_round_up(m: i128, n: u32) -> i128 {
    let Some(d) = pow10(n) else {
        return if m == 0 { 0 } else { m.signum() };
    };
    let q = m / d;
    if m % d != 0 {
        q + m.signum()
    } else {
        q
    }
}

/// `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`
fn matches_quantity_regex(s: &[u8]) -> bool {
    let mut i = 0;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let start = i;
    while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'.') {
        i += 1;
    }
    if i == start {
        return false;
    }
    while i < s.len() && b"eEinumkKMGTP".contains(&s[i]) {
        i += 1;
    }
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    i == s.len()
}

/// `[eEinumkKMGTP]*[-+]?[0-9]*` over the whole input.
fn matches_suffix_grammar(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() && b"eEinumkKMGTP".contains(&s[i]) {
        i += 1;
    }
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    s[i..].iter().all(u8::is_ascii_digit)
}

impl ParsedQuantity {
    /// upstream: resource.ParseQuantity (after the JSON decoder's whitespace trim).
    pub(crate) fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        if s.is_empty() || !matches_quantity_regex(s.as_bytes()) {
            return Err(QUANTITY_FORMAT_ERROR);
        }
        if s == "0" {
            return Ok(ParsedQuantity {
                mantissa: 0,
                exp10: 0,
                format: QuantityFormat::DecimalSI,
                cached: Some(s.into()),
            });
        }
        let b = s.as_bytes();
        let mut pos = 0;
        let negative = b[0] == b'-';
        if b[0] == b'-' || b[0] == b'+' {
            pos += 1;
        }
        while pos < b.len() && b[pos] == b'0' {
            pos += 1;
        }
        let num_start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        let num = if pos == num_start { "0" } else { &s[num_start..pos] };
        let mut denom = "";
        if pos < b.len() && b[pos] == b'.' {
            pos += 1;
            let d_start = pos;
            while pos < b.len() && b[pos].is_ascii_digit() {
                pos += 1;
            }
            denom = &s[d_start..pos];
        }
        let suffix = &s[pos..];
        // upstream: parseQuantityString — what follows the number must itself be suffix
        // grammar (`1.2.3` leaves `.3`), else the format error, not the suffix error.
        if !matches_suffix_grammar(suffix.as_bytes()) {
            return Err(QUANTITY_FORMAT_ERROR);
        }
        let (base2, exponent, format) = match suffix {
            "" => (false, 0, QuantityFormat::DecimalSI),
            "n" => (false, -9, QuantityFormat::DecimalSI),
            "u" => (false, -6, QuantityFormat::DecimalSI),
            "m" => (false, -3, QuantityFormat::DecimalSI),
            "k" => (false, 3, QuantityFormat::DecimalSI),
            "M" => (false, 6, QuantityFormat::DecimalSI),
            "G" => (false, 9, QuantityFormat::DecimalSI),
            "T" => (false, 12, QuantityFormat::DecimalSI),
            "P" => (false, 15, QuantityFormat::DecimalSI),
            "E" => (false, 18, QuantityFormat::DecimalSI),
            "Ki" => (true, 10, QuantityFormat::BinarySI),
            "Mi" => (true, 20, QuantityFormat::BinarySI),
            "Gi" => (true, 30, QuantityFormat::BinarySI),
            "Ti" => (true, 40, QuantityFormat::BinarySI),
            "Pi" => (true, 50, QuantityFormat::BinarySI),
            "Ei" => (true, 60, QuantityFormat::BinarySI),
            other => {
                let digits = other.strip_prefix(['e', 'E']).ok_or(QUANTITY_SUFFIX_ERROR)?;
                let e: i32 = digits.parse().map_err(|_| QUANTITY_SUFFIX_ERROR)?;
                (false, e, QuantityFormat::DecimalExponent)
            }
        };
        const TOO_LARGE: &str = "quantity is too large for kubesim";
        let digits = format!("{num}{denom}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 36 {
            return Err(TOO_LARGE);
        }
        let unscaled: i128 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| TOO_LARGE)? };
        let denom_len = denom.len() as i32;
        let (mut mantissa, mut exp10) = if base2 {
            (unscaled.checked_mul(1i128 << exponent).ok_or(TOO_LARGE)?, -denom_len)
        } else {
            (unscaled, exponent.checked_sub(denom_len).ok_or(TOO_LARGE)?)
        };

        // The input is kept verbatim when upstream's fast path recognises it as canonical.
        let shifted = format!("{num}{denom}");
        let cached = if base2 {
            let precision = 15 - num.len() as i32 - (exponent * 3 / 10) - 1;
            let fits = i64::try_from(mantissa).is_ok();
            (denom.is_empty() && precision >= 0 && fits && unscaled & 7 != 0).then(|| s.to_string())
        } else {
            let precision = 18 - shifted.len() as i32;
            let fits = i64::try_from(unscaled).is_ok();
            (precision >= 0
                && exp10 >= -9
                && fits
                && exp10 % 3 == 0
                && !shifted.ends_with("000")
                && !shifted.starts_with('0'))
            .then(|| s.to_string())
        };

        // Non-zero values finer than a nano-unit are rounded up to 1n.
        if exp10 < -9 {
            mantissa = div_round_up(mantissa, (-9 - exp10) as u32);
            exp10 = -9;
        }
        if negative {
            mantissa = -mantissa;
        }
        let mut format = format;
        if format == QuantityFormat::BinarySI {
            // upstream caps binary quantities at MaxInt64 and shows fractions below 1 as DecimalSI.
            if mantissa > i64::MAX as i128 && exp10 >= 0 {
                mantissa = i64::MAX as i128;
                exp10 = 0;
            }
        }
        if format == QuantityFormat::BinarySI
            && exp10 < 0
            && mantissa.abs() < pow10((-exp10) as u32).unwrap_or(i128::MAX)
            && mantissa > 0
        {
            format = QuantityFormat::DecimalSI;
        }
        Ok(ParsedQuantity { mantissa, exp10, format, cached })
    }

    pub(crate) fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Whether the value is a whole number (`MilliValue() % 1000 == 0` for milli-rounded values).
    pub(crate) fn is_integer(&self) -> bool {
        self.exp10 >= 0 || pow10((-self.exp10) as u32).is_none_or(|d| self.mantissa % d == 0)
    }

    /// upstream: Quantity.RoundUp(-3), as SetDefaults_ResourceList applies it.
    pub(crate) fn round_up_to_milli(mut self) -> Self {
        if self.exp10 < -3 {
            self.mantissa = div_round_up(self.mantissa, (-3 - self.exp10) as u32);
            self.exp10 = -3;
            self.cached = None;
        }
        self
    }

    /// upstream: Quantity.String() — the cached input, or CanonicalizeBytes.
    pub(crate) fn canonical(&self) -> String {
        if let Some(s) = &self.cached {
            return s.clone();
        }
        if self.mantissa == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        let integer_value = if self.exp10 >= 0 {
            pow10(self.exp10 as u32).and_then(|p| self.mantissa.checked_mul(p))
        } else {
            pow10((-self.exp10) as u32).filter(|d| self.mantissa % d == 0).map(|d| self.mantissa / d)
        };
        if format == QuantityFormat::BinarySI {
            match integer_value {
                Some(v) if v.abs() >= 1024 => {}
                _ => format = QuantityFormat::DecimalSI,
            }
        }
        if format == QuantityFormat::BinarySI {
            let mut v = integer_value.unwrap_or(0);
            let mut e = 0;
            while e < 6 && v % 1024 == 0 {
                v /= 1024;
                e += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][e];
            return format!("{v}{suffix}");
        }
        let (mut m, mut e) = (self.mantissa, self.exp10);
        while m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        match e % 3 {
            1 | -2 => {
                m *= 10;
                e -= 1;
            }
            2 | -1 => {
                m *= 100;
                e -= 2;
            }
            _ => {}
        }
        let suffix = match (format, e) {
            (_, 0) => String::new(),
            (QuantityFormat::DecimalExponent, e) => format!("e{e}"),
            (_, -9) => "n".into(),
            (_, -6) => "u".into(),
            (_, -3) => "m".into(),
            (_, 3) => "k".into(),
            (_, 6) => "M".into(),
            (_, 9) => "G".into(),
            (_, 12) => "T".into(),
            (_, 15) => "P".into(),
            (_, 18) => "E".into(),
            (_, e) => format!("e{e}"),
        };
        format!("{m}{suffix}")
    }

    /// upstream: Quantity.Cmp.
    pub(crate) fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.exp10.min(other.exp10);
        let lift = |q: &Self| pow10((q.exp10 - scale) as u32).and_then(|p| q.mantissa.checked_mul(p));
        match (lift(self), lift(other)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => {
                let f = |q: &Self| q.mantissa as f64 * 10f64.powi(q.exp10);
                f(self).partial_cmp(&f(other)).unwrap_or(Ordering::Equal)
            }
        }
    }
}

impl ParsedQuantity {
    /// upstream: Quantity.MilliValue — thousandths of the unit, rounded up; `None` on overflow.
    pub(crate) fn milli_value(&self) -> Option<i128> {
        let exp = self.exp10 + 3;
        if exp >= 0 {
            self.mantissa.checked_mul(pow10(exp as u32)?)
        } else {
            Some(div_round_up(self.mantissa, (-exp) as u32))
        }
    }
}

impl ParsedQuantity {
    /// upstream: the zero `Quantity{}` (prints `0`).
    pub(crate) fn zero() -> Self {
        ParsedQuantity { mantissa: 0, exp10: 0, format: QuantityFormat::DecimalSI, cached: None }
    }

    /// upstream: Quantity.Add — exact; the sum keeps the receiver's format, or takes the
    /// addend's when the receiver is zero. `None` on overflow.
    pub(crate) fn add(&self, other: &Self) -> Option<Self> {
        let scale = self.exp10.min(other.exp10);
        let lift = |q: &Self| pow10((q.exp10 - scale) as u32).and_then(|p| q.mantissa.checked_mul(p));
        let mantissa = lift(self)?.checked_add(lift(other)?)?;
        let format = if self.mantissa == 0 { other.format } else { self.format };
        Some(ParsedQuantity { mantissa, exp10: scale, format, cached: None })
    }

    /// upstream: Quantity.Value — whole units, rounded up; `None` on overflow.
    pub(crate) fn value(&self) -> Option<i128> {
        if self.exp10 >= 0 {
            self.mantissa.checked_mul(pow10(self.exp10 as u32)?)
        } else {
            Some(div_round_up(self.mantissa, (-self.exp10) as u32))
        }
    }
}

/// A quantity in thousandths of its unit (millicores for CPU, millibytes for memory), rounded
/// up as `Quantity.MilliValue()` does. `None` if the text is not a quantity.
pub fn parse_milli(text: &str) -> Option<i128> {
    plain_milli(text).or_else(|| ParsedQuantity::parse(text).ok()?.milli_value())
}

/// What [`parse_milli`] gives for `N` and `Nm` (how requests and targets are mostly written)
/// without building a quantity; `None` for any other text.
fn plain_milli(text: &str) -> Option<i128> {
    let b = text.trim().as_bytes();
    let (digits, scale) = match b.split_last() {
        Some((b'm', digits)) => (digits, 1),
        _ => (b, 1000),
    };
    // (fifteen digits times a thousand cannot overflow)
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0i128, |v, d| v * 10 + i128::from(d - b'0')) * scale)
}

/// Like [`parse_milli`], but a value too large for i128 saturates (keeping its sign) instead of
/// being `None`: `None` only when the text is not a quantity.
pub fn parse_milli_saturating(text: &str) -> Option<i128> {
    if let Some(v) = plain_milli(text) {
        return Some(v);
    }
    let q = ParsedQuantity::parse(text).ok()?;
    Some(q.milli_value().unwrap_or(if q.is_negative() { i128::MIN } else { i128::MAX }))
}

/// upstream: `resource.NewMilliQuantity(v, resource.DecimalSI).String()` — `250m`, `2`, `5k`,
/// `125829120` (how the HPA reports current values).
pub fn milli_quantity(milli: i64) -> String {
    ParsedQuantity { mantissa: milli as i128, exp10: -3, format: QuantityFormat::DecimalSI, cached: None }.canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milli_quantities_print_as_the_hpa_status_does() {
        for (milli, want) in [
            (250, "250m"),
            (2000, "2"),
            (0, "0"),
            (5_000_000, "5k"),
            (125_829_120_000, "125829120"),
            (1_500_000, "1500"),
        ] {
            assert_eq!(milli_quantity(milli), want, "{milli}");
        }
    }

    #[test]
    fn quantities_print_in_canonical_form() {
        let rows = [
            ("500m", "500m", "already canonical"),
            ("0.5", "500m", "fraction becomes milli"),
            ("1000m", "1", "whole milli collapses"),
            ("1000", "1k", "decimal SI moves to k"),
            ("1.5k", "1500", "exponent must be a multiple of 3"),
            ("128Mi", "128Mi", "binary stays binary"),
            ("1024Mi", "1Gi", "binary normalizes up"),
            ("1.5Gi", "1536Mi", "binary fraction"),
            ("0.5Ki", "512", "small binary becomes decimal"),
            ("1e3", "1e3", "exponent notation kept"),
            ("1G", "1G", "decimal suffix"),
            ("05", "05", "upstream reprints an input it thinks canonical"),
            ("0.0000000001", "1n", "rounded up to a nano unit"),
            (" 2 ", "2", "decoder trims spaces"),
            ("-1", "-1", "negative"),
            ("0", "0", "zero"),
        ];
        for (input, want, why) in rows {
            let got = ParsedQuantity::parse(input).map(|q| q.canonical());
            assert_eq!(got.as_deref(), Ok(want), "{input:?}: {why}");
        }
        assert_eq!(ParsedQuantity::parse("0.0001").map(|q| q.round_up_to_milli().canonical()).as_deref(), Ok("1m"));
        assert_eq!(ParsedQuantity::parse("1.2.3"), Err(QUANTITY_FORMAT_ERROR));
        assert_eq!(ParsedQuantity::parse("1kk"), Err(QUANTITY_SUFFIX_ERROR));
        for bad in ["", "abc", "1.2.3", "--1", "1Zi", "m", "1e"] {
            assert!(ParsedQuantity::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn quantities_compare_by_value() {
        let q = |s: &str| ParsedQuantity::parse(s).expect("parses");
        assert_eq!(q("1").cmp(&q("1000m")), Ordering::Equal);
        assert_eq!(q("1Gi").cmp(&q("1G")), Ordering::Greater);
        assert_eq!(q("500m").cmp(&q("0.6")), Ordering::Less);
        assert_eq!(q("1e30").cmp(&q("1n")), Ordering::Greater);
    }
}

#[cfg(test)]
mod parse_milli_tests {
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

    #[test]
    fn plain_numbers_take_the_short_way_to_the_same_value() {
        for q in ["0", "7", "007m", "250m", " 3 ", "999999999999999", "999999999999999m", "1000000000000000"] {
            let full = ParsedQuantity::parse(q).ok().and_then(|p| p.milli_value());
            assert_eq!(parse_milli(q), full, "{q}");
            assert_eq!(parse_milli_saturating(q), full, "{q}");
        }
        assert_eq!(plain_milli("250m"), Some(250));
        assert_eq!(plain_milli("3"), Some(3000));
        for other in ["", "m", "1.5", "-1", "+1", "1k", "1Mi", "1e3", "1000000000000000"] {
            assert_eq!(plain_milli(other), None, "{other}");
        }
    }

    #[test]
    fn quantities_too_large_for_milli_units_saturate_instead_of_vanishing() {
        assert_eq!(parse_milli("1e999"), None, "MilliValue overflows");
        assert_eq!(parse_milli_saturating("1e999"), Some(i128::MAX));
        assert_eq!(parse_milli_saturating("-1e999"), Some(i128::MIN));
        // upstream: binary quantities are capped at MaxInt64 units when parsed.
        assert_eq!(parse_milli_saturating("8Ei"), Some(i64::MAX as i128 * 1000));
        assert_eq!(parse_milli_saturating("250m"), Some(250));
        assert_eq!(parse_milli_saturating("1x"), None, "not a quantity");
    }
}
