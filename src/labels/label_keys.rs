//! `matchLabelKeys` / `mismatchLabelKeys`: a term's label selector narrowed by the values the
//! pod itself has under those keys.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::LabelSource;

/// upstream: applyMatchLabelKeysAndMismatchLabelKeys (pod affinity, in the API server) and the
/// scheduler's mergeLabelSetWithSelector (topology spread) — the selector with `key In (value)`
/// appended for each of `match_keys`, and `key NotIn (value)` for each of `mismatch_keys`, that
/// the pod has a label for (keys it lacks are skipped). A nil selector stays nil (it selects
/// nothing either way).
pub fn merge_label_keys<L: LabelSource + ?Sized>(
    selector: Option<&LabelSelector>,
    match_keys: &[String],
    mismatch_keys: &[String],
    labels: &L,
) -> Option<LabelSelector> {
    let mut sel = selector?.clone();
    for (keys, operator) in [(match_keys, "In"), (mismatch_keys, "NotIn")] {
        for key in keys {
            if let Some(v) = labels.label(key) {
                sel.match_expressions.get_or_insert_with(Vec::new).push(LabelSelectorRequirement {
                    key: key.clone(),
                    operator: operator.into(),
                    values: Some(vec![v.to_string()]),
                });
            }
        }
    }
    Some(sel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Selector;
    use std::collections::BTreeMap;

    #[test]
    fn keys_the_pod_has_narrow_the_selector_and_others_are_skipped() {
        let labels: BTreeMap<String, String> =
            [("app", "web"), ("pod-template-hash", "abc"), ("tenant", "a")].map(|(k, v)| (k.into(), v.into())).into();
        let base = LabelSelector { match_labels: Some([("app".into(), "web".into())].into()), ..Default::default() };
        let keys = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let merged =
            merge_label_keys(Some(&base), &keys(&["pod-template-hash", "missing"]), &keys(&["tenant"]), &labels);
        let sel = Selector::from_label_selector(merged.as_ref()).unwrap();
        assert_eq!(sel.to_string(), "app=web,pod-template-hash in (abc),tenant notin (a)");
        assert_eq!(merge_label_keys(None, &keys(&["app"]), &[], &labels), None, "nil selects nothing");
    }
}
