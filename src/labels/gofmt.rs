//! How Go's `fmt` prints the values that appear inside apimachinery error messages, so the texts
//! built here read byte for byte like the API server's.

/// Go's `%q` / `strconv.Quote`: double quotes, `\"` and `\\`, C escapes for `\a\b\f\n\r\t\v`,
/// `\xNN` for other ASCII controls, `\uNNNN` / `\UNNNNNNNN` for other non-printable runes; every
/// printable rune (letters, marks, numbers, punctuation, symbols, ASCII space) stays as it is.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_print(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `%#v` of a `[]string`: `[]string{"b", "a"}`. apimachinery's converters pass a nil slice
/// when a `LabelSelectorRequirement` has no values, which Go prints as `[]string(nil)`; an empty
/// list is rendered that way here.
pub(crate) fn string_slice(values: &[String]) -> String {
    if values.is_empty() {
        return "[]string(nil)".to_string();
    }
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// `unicode.IsPrint`: graphic characters plus ASCII space. Exact for Latin-1; beyond it every
/// separator, format character, private-use and noncharacter code point is non-printable, while
/// (unlike Go's tables) unassigned code points count as printable.
fn is_print(c: char) -> bool {
    let u = c as u32;
    if u <= 0xff {
        return (0x20..0x7f).contains(&u) || (u >= 0xa1 && u != 0xad);
    }
    let non_print = matches!(u,
        // separators (Zs, Zl, Zp)
        0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000
        // format characters (Cf)
        | 0x0600..=0x0605 | 0x061c | 0x06dd | 0x070f | 0x0890 | 0x0891 | 0x08e2 | 0x180e
        | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff
        | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f
        // private use (Co)
        | 0xe000..=0xf8ff | 0xf0000..=0xffffd | 0x100000..=0x10fffd
    );
    // noncharacters U+FDD0..FDEF and U+xxFFFE/U+xxFFFF are unassigned (Cn)
    let nonchar = (0xfdd0..=0xfdef).contains(&u) || (u & 0xfffe) == 0xfffe;
    !non_print && !nonchar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_like_go_strconv_quote() {
        assert_eq!(quote("a||y"), r#""a||y""#);
        assert_eq!(quote("say \"hi\"\\"), r#""say \"hi\"\\""#);
        assert_eq!(quote("\t\n\u{1}\u{7f}"), r#""\t\n\x01\x7f""#);
        assert_eq!(quote("rā\u{a0}\u{ad}\u{85}"), r#""rā\u00a0\u00ad\u0085""#);
        assert_eq!(quote("\u{200b}\u{feff}\u{10ffff}"), r#""\u200b\ufeff\U0010ffff""#);
        assert_eq!(quote("Māori 日本 🙂"), "\"Māori 日本 🙂\"");
    }

    #[test]
    fn string_slices_print_as_go_syntax() {
        assert_eq!(string_slice(&["b".into(), "a".into()]), r#"[]string{"b", "a"}"#);
        assert_eq!(string_slice(&[]), "[]string(nil)");
    }
}
