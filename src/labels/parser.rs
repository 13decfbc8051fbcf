//! The label-selector string grammar (apimachinery `labels.Parse`): a byte-level lexer and a
//! recursive-descent parser that reproduce upstream's tokenisation quirks and error texts.

use std::collections::BTreeSet;

use super::selector::{key_error, Operator, Requirement};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// Unreachable in practice: every special character is a token on its own.
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn special_token(lit: &[u8]) -> Option<Token> {
    Some(match lit {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// upstream: labels.Lexer. It reads bytes and, like upstream, treats a NUL byte the way it treats
/// the end of input (it ends the token being scanned, and ends the selector when a token would
/// start there). Token boundaries always fall on ASCII bytes, so literals are valid `&str` slices.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn read(&mut self) -> u8 {
        match self.s.as_bytes().get(self.pos) {
            Some(&c) => {
                self.pos += 1;
                c
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.s.get(start..end).unwrap_or_default()
    }

    fn lex(&mut self) -> (Token, &'a str) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return (Token::EndOfString, "");
        }
        self.unread();
        if is_special(ch) {
            self.scan_special_symbol()
        } else {
            self.scan_id_or_keyword()
        }
    }

    fn scan_id_or_keyword(&mut self) -> (Token, &'a str) {
        let start = self.pos;
        let end = loop {
            let before = self.pos;
            let ch = self.read();
            if ch == 0 {
                break before;
            }
            if is_special(ch) || is_whitespace(ch) {
                self.unread();
                break before;
            }
        };
        let lit = self.slice(start, end);
        let tok = match lit {
            "in" => Token::In,
            "notin" => Token::NotIn,
            _ => Token::Identifier,
        };
        (tok, lit)
    }

    /// Extends the run of special characters while it still spells a known token, so `!=` and
    /// `==` are one token but `!!` is two.
    fn scan_special_symbol(&mut self) -> (Token, &'a str) {
        let start = self.pos;
        let mut last: Option<(Token, usize)> = None;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special(ch) {
                self.unread();
                break;
            }
            match special_token(self.s.as_bytes().get(start..self.pos).unwrap_or_default()) {
                Some(tok) => last = Some((tok, self.pos)),
                None if last.is_some() => {
                    self.unread();
                    break;
                }
                None => {}
            }
        }
        match last {
            Some((tok, end)) => (tok, self.slice(start, end)),
            None => (Token::Error, self.slice(start, self.pos)),
        }
    }
}

/// Where the parser is: `in` and `notin` are operators after a key and plain identifiers
/// wherever a key or a value is expected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser<'a> {
    items: Vec<(Token, &'a str)>,
    position: usize,
}

impl<'a> Parser<'a> {
    fn lookahead(&self, ctx: Context) -> (Token, &'a str) {
        let (tok, lit) = self.items.get(self.position).copied().unwrap_or((Token::EndOfString, ""));
        match tok {
            Token::In | Token::NotIn if ctx == Context::Values => (Token::Identifier, lit),
            _ => (tok, lit),
        }
    }

    fn consume(&mut self, ctx: Context) -> (Token, &'a str) {
        let item = self.lookahead(ctx);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self.parse_requirement().map_err(|e| format!("unable to parse requirement: {e}"))?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(format!("found '{l2}', expected: identifier after ','"));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => return Err(format!("found '{lit}', expected: !, identifier, or 'end of string'")),
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return Requirement::build(key, op, Vec::new());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::build(key, op, values.into_iter().map(str::to_string).collect())
    }

    /// The key, and `Exists` / `DoesNotExist` when the requirement ends after it. The key is
    /// validated here, before the operator is looked at, and without a field path (`<nil>`).
    fn parse_key_and_infer_operator(&mut self) -> Result<(&'a str, Option<Operator>), String> {
        let mut operator = None;
        let (mut tok, mut lit) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        if let Some(err) = key_error("<nil>", lit) {
            return Err(err);
        }
        let (next, _) = self.lookahead(Context::Values);
        if operator.is_none() && (next == Token::EndOfString || next == Token::Comma) {
            operator = Some(Operator::Exists);
        }
        Ok((lit, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            // upstream lists selection.Operator spellings, hence `gt, lt` rather than `>`, `<`
            _ => return Err(format!("found '{lit}', expected: in, notin, =, ==, !=, gt, lt")),
        })
    }

    /// `( v1, v2, … )`; empty elements are the empty string, so `()` is `{""}`.
    fn parse_values(&mut self) -> Result<BTreeSet<&'a str>, String> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let values = self.parse_identifiers_list()?;
                let (tok, _) = self.consume(Context::Values);
                if tok != Token::ClosedPar {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(values)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([""]))
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<&'a str>, String> {
        let mut values = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    values.insert(lit);
                    let (next, next_lit) = self.lookahead(Context::Values);
                    match next {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(values),
                        _ => return Err(format!("found '{next_lit}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.insert(""); // `(,`
                    }
                    let (next, _) = self.lookahead(Context::Values);
                    if next == Token::ClosedPar {
                        values.insert(""); // `,)`
                        return Ok(values);
                    }
                    if next == Token::Comma {
                        values.insert(""); // `,,`
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    /// The value after `=`, `==`, `!=`, `>`, `<`; empty when the requirement ends there.
    fn parse_exact_value(&mut self) -> Result<BTreeSet<&'a str>, String> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(BTreeSet::from([""]));
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            Ok(BTreeSet::from([lit]))
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

/// The requirements of a selector string in written order, or upstream's error text.
pub(crate) fn parse(selector: &str) -> Result<Vec<Requirement>, String> {
    let mut lexer = Lexer { s: selector, pos: 0 };
    let mut items = Vec::new();
    loop {
        let item = lexer.lex();
        items.push(item);
        if item.0 == Token::EndOfString {
            break;
        }
    }
    Parser { items, position: 0 }.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<(Token, &str)> {
        let mut lexer = Lexer { s, pos: 0 };
        let mut out = Vec::new();
        loop {
            let item = lexer.lex();
            out.push(item);
            if item.0 == Token::EndOfString {
                return out;
            }
        }
    }

    #[test]
    fn special_runs_are_split_greedily_into_known_tokens() {
        use Token::*;
        assert_eq!(
            tokens("==a==b"),
            vec![(DoubleEquals, "=="), (Identifier, "a"), (DoubleEquals, "=="), (Identifier, "b"), (EndOfString, "")]
        );
        assert_eq!(
            tokens("!!x!=y"),
            vec![
                (DoesNotExist, "!"),
                (DoesNotExist, "!"),
                (Identifier, "x"),
                (NotEquals, "!="),
                (Identifier, "y"),
                (EndOfString, "")
            ]
        );
        assert_eq!(
            tokens("x=a||y=b"),
            vec![
                (Identifier, "x"),
                (Equals, "="),
                (Identifier, "a||y"),
                (Equals, "="),
                (Identifier, "b"),
                (EndOfString, "")
            ]
        );
    }

    #[test]
    fn in_and_notin_are_keywords_for_the_lexer() {
        use Token::*;
        assert_eq!(
            tokens(" notin\tin\r\n(in)"),
            vec![(NotIn, "notin"), (In, "in"), (OpenPar, "("), (In, "in"), (ClosedPar, ")"), (EndOfString, "")]
        );
    }

    #[test]
    fn nul_bytes_end_tokens_like_upstreams_lexer() {
        use Token::*;
        assert_eq!(tokens("x\0y"), vec![(Identifier, "x"), (Identifier, "y"), (EndOfString, "")]);
        assert_eq!(tokens("\0x"), vec![(EndOfString, "")]);
        assert_eq!(tokens("=\0="), vec![(Equals, "="), (Equals, "="), (EndOfString, "")]);
    }

    #[test]
    fn non_ascii_identifiers_stay_whole() {
        assert_eq!(tokens("rā=Māori")[2], (Token::Identifier, "Māori"));
    }
}
