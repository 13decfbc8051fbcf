use super::newrs::append_history;
use super::rollout::proportion;
use super::*;
use k8s_openapi::api::apps::v1 as apps;
use std::sync::Arc;

fn ios(s: &str) -> IntOrString {
    match s.parse::<i32>() {
        Ok(n) => IntOrString::Int(n),
        Err(_) => IntOrString::String(s.into()),
    }
}

#[test]
fn fenceposts_match_upstream_worked_values() {
    for (surge, unavailable, desired, want) in [
        ("25%", "25%", 10, (3, 2)),
        ("25%", "25%", 1, (1, 0)),
        ("39%", "39%", 10, (4, 3)),
        ("0%", "0%", 0, (0, 1)),
        ("0", "0", 5, (0, 1)),
        ("2", "50%", 3, (2, 1)),
    ] {
        assert_eq!(
            resolve_fenceposts(Some(&ios(surge)), Some(&ios(unavailable)), desired),
            want,
            "{surge}/{unavailable} of {desired}"
        );
    }
}

fn spec(replicas: i32, surge: &str) -> apps::DeploymentSpec {
    apps::DeploymentSpec {
        replicas: Some(replicas),
        strategy: Some(apps::DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(apps::RollingUpdateDeployment {
                max_surge: Some(ios(surge)),
                max_unavailable: Some(ios("0")),
            }),
        }),
        ..Default::default()
    }
}

fn rs(replicas: i32, max_replicas: Option<i32>) -> Rs {
    let mut a = StringMap::new();
    if let Some(m) = max_replicas {
        a.insert(MAX_REPLICAS.into(), m.to_string());
    }
    Rs {
        obj: Arc::new(Object {
            meta: Meta::default(),
            body: Body::ReplicaSet {
                spec: Default::default(),
                status: Default::default(),
                template: Default::default(),
            },
        }),
        replicas,
        annotations: Arc::new(a),
        created_here: false,
        is_new: false,
    }
}

/// (D.replicas, maxSurge, rs.replicas, annotated max-replicas, toAdd, added) → proportion
#[test]
fn proportions_round_half_away_from_zero() {
    let status = apps::DeploymentStatus { replicas: Some(5), ..Default::default() };
    for (desired, surge, size, annotated, to_add, added, want) in [
        (10, "0", 2, Some(5), 5, 0, 2),   // 2*10/5 = 4 → +2
        (10, "0", 3, Some(5), 5, 2, 3),   // 3*10/5 = 6 → +3
        (10, "0", 3, Some(5), 5, 4, 1),   // capped by what is left to add
        (7, "0", 3, Some(5), 2, 0, 1),    // 3*7/5 = 4.2 → 4 → +1
        (5, "0", 6, Some(10), -5, 0, -3), // 6*5/10 = 3 → -3
        (10, "0", 2, None, 5, 0, 2),      // no annotation: D.status.replicas (5)
        (0, "0", 4, Some(5), -4, 0, -4),  // scaling to zero takes everything
    ] {
        let p = proportion(&rs(size, annotated), &spec(desired, surge), &status, to_add, added);
        assert_eq!(p, want, "D={desired} rs={size} annotated={annotated:?} toAdd={to_add} added={added}");
    }
}

#[test]
fn template_hash_has_the_upstream_shape_and_moves_with_collisions() {
    let t = PodTemplate::default();
    let h = pod_template_hash(&t, None);
    assert!((1..=10).contains(&h.len()) && h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
    assert_eq!(h, pod_template_hash(&t, None));
    assert_ne!(h, pod_template_hash(&t, Some(0)), "nil and 0 collisionCount differ");
    assert_ne!(pod_template_hash(&t, Some(0)), pod_template_hash(&t, Some(1)));
}

#[test]
fn revision_history_drops_oldest_entries_past_2000_characters() {
    let mut a = StringMap::new();
    append_history(&mut a, 1);
    append_history(&mut a, 2);
    assert_eq!(a[&REVISION_HISTORY.to_string()], "1,2");
    a.insert(REVISION_HISTORY.into(), vec!["9"; 1000].join(","));
    append_history(&mut a, 12);
    let h = &a[&REVISION_HISTORY.to_string()];
    assert!(h.len() <= 2000 && h.ends_with(",12"), "{}", h.len());
}
