//! Label-selector strings (`labels.Parse`): a parse is a typed value or a typed error, and a
//! parsed selector prints (`Selector.String()`) as text that parses back to itself.
#![no_main]

use std::collections::BTreeMap;

use _native::labels::Selector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(selector) = Selector::parse(text) else { return };
    let printed = selector.to_string();
    let again = Selector::parse(&printed).unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}: {e}"));
    assert_eq!(again.to_string(), printed, "{text:?}");
    // Matching cannot fail: labels made of the selector's own keys and values.
    let mut labels = BTreeMap::new();
    for r in selector.requirements() {
        labels.insert(r.key().to_string(), r.values().first().cloned().unwrap_or_default());
    }
    let _ = selector.matches(&labels);
    let _ = again.matches(&BTreeMap::new());
});
