use super::*;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
use proptest::prelude::*;

const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_PART_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const QUALIFIED_NAME_MSG: &str = "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const BAD_OPERATOR: &str = "expected: in, notin, =, ==, !=, gt, lt";

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The label sets L1..L20 of the reference table (§1.10), index 0 = L1.
fn label_sets() -> Vec<BTreeMap<String, String>> {
    let sets: [&[(&str, &str)]; 20] = [
        &[("x", "y")],
        &[("x", "y"), ("z", "w")],
        &[("x", "z"), ("z", "a")],
        &[("notin", "in")],
        &[("x", "z")],
        &[("y", "z")],
        &[("x", "2")],
        &[("x", "0")],
        &[],
        &[("x", "w"), ("z", "w")],
        &[("x", "z"), ("z", "w")],
        &[("foo", "bar"), ("baz", "blah")],
        &[("y", "")],
        &[("x", "foo"), ("y", "baz")],
        &[("z", "v2")],
        &[("x", "")],
        &[("env", "prod"), ("tier", "frontend")],
        &[("env", "dev"), ("tier", "backend")],
        &[("env", "qa")],
        &[("example.com/team", "a"), ("app.kubernetes.io/name", "web")],
    ];
    sets.iter().map(|s| labels(s)).collect()
}

enum Expect {
    Only(&'static [usize]),
    AllExcept(&'static [usize]),
}

fn parse(s: &str) -> Selector {
    match Selector::parse(s) {
        Ok(sel) => sel,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

fn parse_err(s: &str) -> String {
    match Selector::parse(s) {
        Ok(sel) => panic!("{s:?} should be rejected, parsed as {sel:?}"),
        Err(e) => {
            assert_eq!(e.input, s);
            e.message
        }
    }
}

#[test]
fn reference_table_valid_rows_match_exactly_the_listed_label_sets() {
    use Expect::*;
    let rows: &[(u32, &[&str], Expect)] = &[
        (1, &[""], AllExcept(&[])),
        (2, &["x=y"], Only(&[1, 2])),
        (3, &["x==y"], Only(&[1, 2])),
        (4, &["x=y,z=w"], Only(&[2])),
        (5, &["x!=y,z!=w"], AllExcept(&[1, 2, 10, 11])),
        (6, &["notin=in"], Only(&[4])),
        (7, &["x"], Only(&[1, 2, 3, 5, 7, 8, 10, 11, 14, 16])),
        (8, &["!x"], Only(&[4, 6, 9, 12, 13, 15, 17, 18, 19, 20])),
        (9, &["x>1"], Only(&[7])),
        (10, &["x<1"], Only(&[8])),
        (11, &["x=z"], Only(&[3, 5, 11])),
        (12, &["foo=bar,foobar=bar,baz=blah"], Only(&[])),
        (13, &["x=", "x= "], Only(&[16])),
        (14, &[" x = y , z = w "], Only(&[2])),
        (15, &["x in (y,z)", "x in (y, z)"], Only(&[1, 2, 3, 5, 11])),
        (16, &["x in(y)"], Only(&[1, 2])),
        (17, &["x notin (y)"], AllExcept(&[1, 2])),
        (18, &["x notin ()"], AllExcept(&[16])),
        (19, &["x in ()", "x in (,)"], Only(&[16])),
        (20, &["x in (z,)"], Only(&[3, 5, 11, 16])),
        (21, &["x notin (y,)"], AllExcept(&[1, 2, 16])),
        (22, &["y in ()"], Only(&[13])),
        (23, &["!x,y"], Only(&[6, 13])),
        (24, &["x,y"], Only(&[14])),
        (25, &["x,y in (a)"], Only(&[])),
        (26, &["env in (prod,qa),tier"], Only(&[17])),
        (27, &["env notin (prod)", "env!=prod"], AllExcept(&[17])),
        (28, &["tier notin (frontend,backend)"], AllExcept(&[17, 18])),
        (29, &["example.com/team=a", "app.kubernetes.io/name in (web)"], Only(&[20])),
        (30, &["a in (x,y,notin, z,in)"], Only(&[])),
        (31, &["notin in (in)"], Only(&[4])),
        (32, &["x in (in)", "in=notin"], Only(&[])),
        (33, &["x>01"], Only(&[7])),
        (34, &["z>1"], Only(&[])),
        (35, &["x=y,x=z"], Only(&[])),
        (36, &["x in (y,z),x notin (z)"], Only(&[1, 2])),
        (37, &["x\tin\t(y)"], Only(&[1, 2])),
        (38, &["x!="], AllExcept(&[16])),
        (39, &["Env=Prod"], Only(&[])),
    ];
    let sets = label_sets();
    for (row, selectors, expect) in rows {
        for s in *selectors {
            let sel = parse(s);
            let matched: Vec<usize> = (1..=sets.len()).filter(|&i| sel.matches(&sets[i - 1])).collect();
            let expected: Vec<usize> = match expect {
                Only(ids) => ids.to_vec(),
                AllExcept(ids) => (1..=sets.len()).filter(|i| !ids.contains(i)).collect(),
            };
            assert_eq!(matched, expected, "row {row}: {s:?} (canonical {sel})");
        }
    }
}

#[test]
fn reference_table_invalid_rows_fail_with_upstreams_exact_text() {
    let junk = |tok: &str| format!("found '{tok}', expected: ',' or 'end of string'");
    let bad_op = |tok: &str| format!("unable to parse requirement: found '{tok}', {BAD_OPERATOR}");
    let bad_value = |key: &str, v: &str| {
        format!("unable to parse requirement: values[0][{key}]: Invalid value: \"{v}\": {LABEL_VALUE_MSG}")
    };
    let not_integer = |v: &str| {
        format!("unable to parse requirement: values[0]: Invalid value: \"{v}\": for 'Gt', 'Lt' operators, the value must be an integer")
    };
    let bad_key = |key: &str, msg: &str| format!("unable to parse requirement: <nil>: Invalid value: \"{key}\": {msg}");
    let rows: Vec<(u32, &str, String)> = vec![
        (40, "x=a||y=b", bad_value("x", "a||y")),
        (41, "x==a==b", junk("==")),
        (42, "!x=a", junk("=")),
        (43, "x<a", not_integer("a")),
        (43, "x>1.5", not_integer("1.5")),
        (44, "x>-1", bad_value("x", "-1")),
        (45, "x,,y", "found ',', expected: identifier after ','".into()),
        (46, ",x,y", "found ',', expected: !, identifier, or 'end of string'".into()),
        (47, "x nott in (y)", bad_op("nott")),
        (48, "a in (xyz),", "found '', expected: identifier after ','".into()),
        (48, "!x,", "found '', expected: identifier after ','".into()),
        (49, "a in (xyz)b notin ()", junk("b")),
        (50, "a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'".into()),
        (51, "a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier".into()),
        (51, "x in ((y))", "unable to parse requirement: found '(', expected: ',', ')' or identifier".into()),
        (52, "a (", bad_op("(")),
        (52, "x y", bad_op("y")),
        (52, "x!y", bad_op("!")),
        (53, "(", "found '(', expected: !, identifier, or 'end of string'".into()),
        (54, "x in y", "unable to parse requirement: found 'y' expected: '('".into()),
        (55, "!!x", "unable to parse requirement: found '!', expected: identifier".into()),
        (56, "x=$y", bad_value("x", "$y")),
        (56, "x=-y", bad_value("x", "-y")),
        (57, "-x=y", bad_key("-x", NAME_PART_MSG)),
        (57, "/x=a", bad_key("/x", "prefix part must be non-empty")),
        (57, "example.com/=a", bad_key("example.com/", "name part must be non-empty")),
        (57, "a/b/c=d", bad_key("a/b/c", QUALIFIED_NAME_MSG)),
        (57, "Example.com/x=a", bad_key("Example.com/x", &format!("prefix part {SUBDOMAIN_MSG}"))),
        (58, "x=y=", junk("=")),
        (58, "x=a=b", junk("=")),
    ];
    for (row, s, expected) in rows {
        assert_eq!(parse_err(s), expected, "row {row}: {s:?}");
    }
}

#[test]
fn key_is_validated_before_the_operator_is_read() {
    assert_eq!(
        parse_err("-x nott (y)"),
        format!("unable to parse requirement: <nil>: Invalid value: \"-x\": {NAME_PART_MSG}")
    );
    assert_eq!(
        parse_err("/=a"),
        "unable to parse requirement: <nil>: Invalid value: \"/\": prefix part must be non-empty; name part must be non-empty"
    );
}

#[test]
fn requirement_errors_are_aggregated_like_upstream() {
    assert_eq!(
        parse_err("x>-a"),
        format!("unable to parse requirement: [values[0]: Invalid value: \"-a\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][x]: Invalid value: \"-a\": {LABEL_VALUE_MSG}]")
    );
    assert_eq!(
        parse_err("x>"),
        "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer"
    );
}

#[test]
fn set_values_are_validated_in_sorted_order() {
    assert_eq!(
        parse_err("x in (ok,~bad,ok)"),
        format!("unable to parse requirement: values[1][x]: Invalid value: \"~bad\": {LABEL_VALUE_MSG}")
    );
}

#[test]
fn other_grammar_errors_keep_upstreams_wording() {
    assert_eq!(parse_err("x in (a,("), "unable to parse requirement: found '(', expected: ',', or identifier");
    assert_eq!(parse_err("x in (a,"), "unable to parse requirement: found '', expected: ',', or identifier");
    assert_eq!(parse_err("x= ="), "unable to parse requirement: found '=', expected: identifier");
    assert_eq!(parse_err("x!"), bad_operator_msg("!"));
    assert_eq!(parse_err("!"), "unable to parse requirement: found '', expected: identifier");
    assert_eq!(parse_err("!x y"), "found 'y', expected: ',' or 'end of string'");
    assert_eq!(parse_err("x,"), "found '', expected: identifier after ','");
    assert_eq!(parse_err(")"), "found ')', expected: !, identifier, or 'end of string'");
}

fn bad_operator_msg(tok: &str) -> String {
    format!("unable to parse requirement: found '{tok}', {BAD_OPERATOR}")
}

#[test]
fn parse_errors_quote_keys_and_values_like_go() {
    assert_eq!(
        parse_err("x=a\u{1}b"),
        format!("unable to parse requirement: values[0][x]: Invalid value: \"a\\x01b\": {LABEL_VALUE_MSG}")
    );
    assert_eq!(
        parse_err("x=rā"),
        format!("unable to parse requirement: values[0][x]: Invalid value: \"rā\": {LABEL_VALUE_MSG}")
    );
}

#[test]
fn keywords_are_identifiers_where_a_key_or_value_is_expected() {
    assert_eq!(parse("notin in (in)").to_string(), "notin in (in)");
    assert_eq!(parse("in=notin").to_string(), "in=notin");
    assert_eq!(parse("a in (x,y,notin, z,in)").requirements()[0].values(), ["in", "notin", "x", "y", "z"]);
    assert_eq!(parse("in,!notin").to_string(), "in,!notin");
}

#[test]
fn canonical_string_round_trips_from_upstream_tests() {
    for (input, canonical) in [
        ("x=a,y=b,z=c", "x=a,y=b,z=c"),
        ("", ""),
        ("x!=a,y=b", "x!=a,y=b"),
        ("x=", "x="),
        ("x= ", "x="),
        ("x=,z= ", "x=,z="),
        ("x= ,z= ", "x=,z="),
        ("!x", "!x"),
        ("x>1", "x>1"),
        ("x>1,z<5", "x>1,z<5"),
        ("x=a,a=x", "a=x,x=a"),
        ("a=x,x=a", "a=x,x=a"),
    ] {
        let sel = parse(input);
        assert_eq!(sel.to_string(), canonical, "{input:?}");
        assert_eq!(parse(canonical), sel, "{canonical:?} parses back to the same selector");
    }
}

#[test]
fn canonical_string_sorts_values_and_spaces_set_operators() {
    for (input, canonical) in [
        ("x  ==  a", "x==a"),
        ("x in (b, a, b)", "x in (a,b)"),
        ("x in (z,)", "x in (,z)"),
        ("z notin ()", "z notin ()"),
        ("x in (,)", "x in ()"),
        ("x in (a,,b)", "x in (,a,b)"),
        ("y , ! x", "!x,y"),
        ("x>01", "x>01"),
        ("x=z,x=y", "x=z,x=y"),
        ("tier in (b,a),env notin (dev),!canary,app=web", "app=web,!canary,env notin (dev),tier in (a,b)"),
    ] {
        assert_eq!(parse(input).to_string(), canonical, "{input:?}");
    }
}

#[test]
fn requirements_are_sorted_by_key_and_repeated_keys_all_apply() {
    let sel = parse("z=1,x=a,x!=b");
    let keys: Vec<&str> = sel.requirements().iter().map(Requirement::key).collect();
    assert_eq!(keys, ["x", "x", "z"]);
    assert_eq!(sel.requirements()[1].operator(), Operator::NotEquals);
}

/// A label set, a selector, and whether it matches.
type MatchCase = (&'static [(&'static str, &'static str)], &'static str, bool);

#[test]
fn matching_notes_from_upstream_tests() {
    let cases: &[MatchCase] = &[
        (&[("x", "foo"), ("y", "baz")], "x in (foo), y notin (alpha)", true),
        (&[("x", "foo"), ("y", "baz")], "x in (foo), y in (alpha)", false),
        (&[("y", "")], "x notin (), y", true),
        (&[("y", "")], "!x, y", true),
        (&[("y", "")], "x notin (), !y", false),
        (&[("y", "baz")], "x in ()", false),
        (&[("z", "2")], "z>1", true),
        (&[("z", "v2")], "z>1", false),
        (&[("x", "")], "x", true),
        (&[("x", "")], "!x", false),
        (&[("x", "-3")], "x<0", true),
        (&[("x", "9223372036854775808")], "x>1", false),
        (&[("x", "+5")], "x>1", true),
    ];
    for (set, s, expected) in cases {
        assert_eq!(parse(s).matches(&labels(set)), *expected, "{s:?} vs {set:?}");
    }
}

#[test]
fn nothing_matches_nothing_and_everything_matches_everything() {
    let sets = label_sets();
    assert!(sets.iter().all(|l| !Selector::nothing().matches(l)));
    assert!(sets.iter().all(|l| Selector::everything().matches(l)));
    assert!(Selector::everything().is_everything() && !Selector::everything().is_nothing());
    assert!(Selector::nothing().is_nothing() && !Selector::nothing().is_everything());
    assert_eq!(Selector::nothing().to_string(), "");
    assert!(Selector::nothing().requirements().is_empty());
    assert_eq!(parse(" \t\r\n"), Selector::everything());
    assert_ne!(Selector::nothing(), Selector::everything());
}

#[test]
fn from_str_is_parse() {
    let sel: Selector = match "app=web".parse() {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(sel, parse("app=web"));
    let err = match "x=$y".parse::<Selector>() {
        Ok(s) => panic!("parsed {s}"),
        Err(e) => e,
    };
    assert_eq!(err.selector(), "x=$y");
    assert_eq!(err.to_string(), err.message);
}

#[test]
fn requires_key_marks_the_operators_that_need_the_label() {
    let sel = parse("a=1,b==1,c in (1),d,e>1,f<1,g!=1,h notin (1),!i");
    let required: Vec<(&str, bool)> = sel.requirements().iter().map(|r| (r.key(), r.requires_key())).collect();
    assert_eq!(
        required,
        [
            ("a", true),
            ("b", true),
            ("c", true),
            ("d", true),
            ("e", true),
            ("f", true),
            ("g", false),
            ("h", false),
            ("i", false)
        ]
    );
}

#[test]
fn selector_from_set_is_equality_on_every_label() {
    assert!(Selector::from_set(&BTreeMap::new()).is_everything());
    let set = labels(&[("x", "y"), ("a", "b")]);
    let sel = Selector::from_set(&set);
    assert_eq!(sel, parse("x=y,a=b"));
    assert_eq!(sel.to_string(), "a=b,x=y");
    assert!(sel.matches(&set));
    assert!(!sel.matches(&labels(&[("x", "y")])));
}

#[test]
fn format_labels_sorts_whole_pairs_and_prints_none_when_empty() {
    assert_eq!(format_labels(&BTreeMap::new()), "<none>");
    assert_eq!(format_labels(&labels(&[("b", "2"), ("a", "1")])), "a=1,b=2");
    // upstream sorts the `k=v` strings: '.' sorts before '='
    assert_eq!(format_labels(&labels(&[("a", "1"), ("a.b", "2")])), "a.b=2,a=1");
}

fn expr(key: &str, op: &str, values: Option<&[&str]>) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.to_string(),
        operator: op.to_string(),
        values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
    }
}

fn label_selector(match_labels: &[(&str, &str)], exprs: Vec<LabelSelectorRequirement>) -> LabelSelector {
    LabelSelector {
        match_labels: (!match_labels.is_empty()).then(|| labels(match_labels)),
        match_expressions: (!exprs.is_empty()).then_some(exprs),
    }
}

fn convert(ls: Option<&LabelSelector>) -> Selector {
    match Selector::from_label_selector(ls) {
        Ok(s) => s,
        Err(e) => panic!("{ls:?} should convert: {e}"),
    }
}

fn convert_err(ls: &LabelSelector) -> String {
    match Selector::from_label_selector(Some(ls)) {
        Ok(s) => panic!("{ls:?} should not convert, got {s:?}"),
        Err(e) => e.message,
    }
}

#[test]
fn label_selector_conversion_cases_from_upstream_helpers_test() {
    assert!(convert(None).is_nothing());
    assert!(convert(Some(&LabelSelector::default())).is_everything());
    let empty_lists = LabelSelector { match_labels: Some(BTreeMap::new()), match_expressions: Some(vec![]) };
    assert!(convert(Some(&empty_lists)).is_everything());
    assert_eq!(convert(Some(&label_selector(&[("foo", "bar")], vec![]))), parse("foo=bar"));
    let in_expr = || expr("baz", "In", Some(&["qux", "norf"]));
    assert_eq!(convert(Some(&label_selector(&[], vec![in_expr()]))), parse("baz in (norf,qux)"));
    let both = convert(Some(&label_selector(&[("foo", "bar")], vec![in_expr()])));
    assert_eq!(both, parse("baz in (norf,qux),foo=bar"));
    assert_eq!(both.to_string(), "baz in (norf,qux),foo=bar");
    assert_eq!(
        convert_err(&label_selector(&[], vec![expr("baz", "Exists", Some(&["qux", "norf"]))])),
        r#"values: Invalid value: []string{"qux", "norf"}: values set must be empty for exists and does not exist"#
    );
}

#[test]
fn label_selector_conversion_errors_are_worded_as_upstream() {
    assert_eq!(
        convert_err(&label_selector(&[], vec![expr("a", "Equals", Some(&["b"]))])),
        r#""Equals" is not a valid label selector operator"#
    );
    assert_eq!(
        convert_err(&label_selector(&[], vec![expr("a", "DoesNotExist", Some(&["b", "a"]))])),
        r#"values: Invalid value: []string{"b", "a"}: values set must be empty for exists and does not exist"#
    );
    assert_eq!(
        convert_err(&label_selector(&[], vec![expr("a", "In", None)])),
        "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
    );
    assert_eq!(
        convert_err(&label_selector(&[], vec![expr("a", "NotIn", Some(&[]))])),
        "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
    );
    assert_eq!(
        convert_err(&label_selector(&[], vec![expr("-a", "Exists", None)])),
        format!("key: Invalid value: \"-a\": {NAME_PART_MSG}")
    );
    assert_eq!(
        convert_err(&label_selector(&[("app", "a b")], vec![])),
        format!("values[0][app]: Invalid value: \"a b\": {LABEL_VALUE_MSG}")
    );
    assert_eq!(
        convert_err(&label_selector(&[], vec![expr("-a", "In", None)])),
        format!("[key: Invalid value: \"-a\": {NAME_PART_MSG}, values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty]")
    );
    let err = Selector::from_label_selector(Some(&label_selector(&[], vec![expr("a", "In", None)])));
    assert!(matches!(err, Err(SelectorError { input, .. }) if input.is_empty()));
}

#[test]
fn label_selector_values_keep_their_repeats_when_printed() {
    let sel = convert(Some(&label_selector(&[], vec![expr("tier", "In", Some(&["b", "a", "a"]))])));
    assert_eq!(sel.to_string(), "tier in (a,a,b)");
    assert_eq!(sel.requirements()[0].values(), ["a", "b"]);
    assert!(sel.matches(&labels(&[("tier", "a")])));
}

#[test]
fn format_label_selector_prints_canonical_none_or_error() {
    let ls = label_selector(
        &[("app", "web")],
        vec![
            expr("tier", "In", Some(&["b", "a"])),
            expr("env", "NotIn", Some(&["dev"])),
            expr("canary", "DoesNotExist", None),
            expr("app.kubernetes.io/name", "Exists", None),
        ],
    );
    assert_eq!(
        format_label_selector(Some(&ls)),
        "app=web,app.kubernetes.io/name,!canary,env notin (dev),tier in (a,b)"
    );
    assert_eq!(format_label_selector(None), "<none>");
    assert_eq!(format_label_selector(Some(&LabelSelector::default())), "<none>");
    assert_eq!(format_label_selector(Some(&label_selector(&[], vec![expr("a", "Gt", Some(&["1"]))]))), "<error>");
}

#[test]
fn new_requirement_rejects_what_upstream_rejects() {
    let v = |vals: &[&str]| vals.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let err = |key: &str, op, vals: &[&str]| match Requirement::new(key, op, v(vals)) {
        Ok(r) => panic!("{key} {op} {vals:?} accepted as {r}"),
        Err(e) => e.message,
    };
    assert_eq!(
        err("x", Operator::Equals, &["a", "b"]),
        r#"values: Invalid value: []string{"a", "b"}: exact-match compatibility requires one single value"#
    );
    assert_eq!(
        err("x", Operator::GreaterThan, &[]),
        "values: Invalid value: []string(nil): for 'Gt', 'Lt' operators, exactly one value is required"
    );
    assert!(err("x", Operator::LessThan, &["1a"]).contains("the value must be an integer"));
    assert_eq!(
        err(&"x".repeat(254), Operator::Exists, &[]),
        format!("key: Invalid value: \"{}\": name part must be no more than 63 characters", "x".repeat(254))
    );
    assert_eq!(
        err("x", Operator::In, &[&"a".repeat(254)]),
        format!("values[0][x]: Invalid value: \"{}\": must be no more than 63 characters", "a".repeat(254))
    );
    assert!(err("x", Operator::NotEquals, &["a b"]).starts_with("values[0][x]: Invalid value: \"a b\": a valid label"));
    assert!(err("x", Operator::Exists, &["a"]).ends_with("values set must be empty for exists and does not exist"));
    let ok = Requirement::new("x", Operator::In, v(&["b", "", "a"]));
    assert!(matches!(&ok, Ok(r) if r.values() == ["", "a", "b"] && r.to_string() == "x in (,a,b)"));
}

#[test]
fn operators_spell_like_selection_operator() {
    let all = [
        Operator::Equals,
        Operator::DoubleEquals,
        Operator::NotEquals,
        Operator::In,
        Operator::NotIn,
        Operator::Exists,
        Operator::DoesNotExist,
        Operator::GreaterThan,
        Operator::LessThan,
    ];
    let spelled: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(spelled, ["=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt"]);
}

// ---- property tests ----

fn key_strategy() -> impl Strategy<Value = String> {
    let name = "[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?";
    prop_oneof![
        6 => proptest::string::string_regex(name).expect("valid regex"),
        2 => ("[a-z0-9]{1,4}(\\.[a-z0-9]{1,4}){0,2}", proptest::string::string_regex(name).expect("valid regex"))
            .prop_map(|(prefix, name)| format!("{prefix}/{name}")),
        1 => Just("in".to_string()),
        1 => Just("notin".to_string()),
    ]
}

fn value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "([A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?)?",
        1 => Just("in".to_string()),
        1 => Just("notin".to_string()),
    ]
}

fn requirement_strategy() -> impl Strategy<Value = Requirement> {
    let single = (
        key_strategy(),
        prop::sample::select(vec![Operator::Equals, Operator::DoubleEquals, Operator::NotEquals]),
        value_strategy(),
    )
        .prop_map(|(k, op, v)| (k, op, vec![v]));
    let set = (
        key_strategy(),
        prop::sample::select(vec![Operator::In, Operator::NotIn]),
        prop::collection::btree_set(value_strategy(), 1..4),
    )
        .prop_map(|(k, op, vs)| (k, op, vs.into_iter().collect()));
    let unary = (key_strategy(), prop::sample::select(vec![Operator::Exists, Operator::DoesNotExist]))
        .prop_map(|(k, op)| (k, op, vec![]));
    let ordered = (
        key_strategy(),
        prop::sample::select(vec![Operator::GreaterThan, Operator::LessThan]),
        0..=i64::MAX,
        0usize..3,
    )
        .prop_map(|(k, op, n, zeros)| (k, op, vec![format!("{}{n}", "0".repeat(zeros))]));
    prop_oneof![single, set, unary, ordered]
        .prop_filter_map("valid requirement", |(k, op, vs)| Requirement::new(&k, op, vs).ok())
}

fn selector_strategy() -> impl Strategy<Value = Selector> {
    prop::collection::vec(requirement_strategy(), 0..5).prop_map(Selector::from_requirements)
}

proptest! {
    #[test]
    fn canonical_string_parses_back_to_an_equal_selector(sel in selector_strategy()) {
        let text = sel.to_string();
        prop_assert_eq!(Selector::parse(&text), Ok(sel), "canonical text {:?}", text);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = Selector::parse(&s);
    }

    #[test]
    fn parsed_selectors_print_to_a_fixed_point(s in "[ \t\0a-z0-9!=(),<>./-]{0,24}|(in|notin|x|y|=|==|!=|!|,|\\(|\\)| |>|<|1|-){0,12}") {
        if let Ok(sel) = Selector::parse(&s) {
            let text = sel.to_string();
            prop_assert_eq!(Selector::parse(&text).map(|s| s.to_string()), Ok(text.clone()), "from {:?}", s);
        }
    }

    #[test]
    fn an_absent_label_matches_exactly_the_requirements_that_do_not_require_it(
        req in requirement_strategy(),
        other in value_strategy(),
    ) {
        let labels = BTreeMap::from([(format!("{}-absent", req.key()), other)]);
        prop_assert_eq!(req.matches(&labels), !req.requires_key());
    }

    #[test]
    fn a_selector_matches_when_each_requirement_does(
        sel in selector_strategy(),
        pairs in prop::collection::btree_map(key_strategy(), value_strategy(), 0..4),
    ) {
        let expected = sel.requirements().iter().all(|r| r.matches(&pairs));
        prop_assert_eq!(sel.matches(&pairs), expected);
        prop_assert!(!Selector::nothing().matches(&pairs));
    }
}
