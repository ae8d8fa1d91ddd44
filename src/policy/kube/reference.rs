//! A slow, literal reading of kube-scheduler's filters, written apart from the indexed
//! implementation: it keeps every bound pod in a flat list and scans it for every rule of
//! every node. The property test checks that [`evaluate`] finds exactly the nodes this
//! reference finds, and for each filtered node the same first failing plugin; so the
//! filter never marks feasible a node that breaks a required rule.

use super::*;
use crate::scenario::kube::{
    LabelSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PodAffinity,
    PodAffinityTerm, Toleration, TolerationOperator, TopologySpreadConstraint, HOSTNAME_KEY,
};
use crate::scenario::CpuAmount;
use proptest::prelude::*;

/// A bound pod, as the reference keeps it.
#[derive(Clone, Debug)]
struct Bound {
    node: usize,
    namespace: String,
    spec: PodScheduling,
}

fn selects(s: &LabelSelector, labels: &Labels) -> bool {
    s.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn tolerates(tols: &[Toleration], key: &str, value: &str, effect: TaintEffect) -> bool {
    tols.iter().any(|t| {
        (t.effect.is_none() || t.effect == Some(effect))
            && (t.key.is_empty() || t.key == key)
            && (t.operator == TolerationOperator::Exists || t.value == value)
    })
}

/// Every taint of a node that filters, in order: its own, then its readiness taint.
fn filtering_taints(node: &KubeNode) -> Vec<(String, String, TaintEffect)> {
    let mut v: Vec<(String, String, TaintEffect)> = node
        .taints
        .iter()
        .filter(|t| t.effect != TaintEffect::PreferNoSchedule)
        .map(|t| (t.key.clone(), t.value.clone(), t.effect))
        .collect();
    match node.readiness {
        Readiness::Ready => {}
        Readiness::NotReady => v.push((
            TAINT_NOT_READY.into(),
            String::new(),
            TaintEffect::NoSchedule,
        )),
        Readiness::Unknown => v.push((
            TAINT_UNREACHABLE.into(),
            String::new(),
            TaintEffect::NoSchedule,
        )),
    }
    v
}

fn node_affinity_holds(spec: &PodScheduling, labels: &Labels) -> bool {
    for (k, v) in &spec.node_selector {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    if spec.node_affinity.is_empty() {
        return true;
    }
    spec.node_affinity.iter().any(|term| {
        !term.match_expressions.is_empty()
            && term.match_expressions.iter().all(|r| {
                let v = labels.get(&r.key);
                match r.operator {
                    NodeSelectorOperator::In => v.is_some() && r.values.contains(v.unwrap()),
                    NodeSelectorOperator::NotIn => v.is_none() || !r.values.contains(v.unwrap()),
                    NodeSelectorOperator::Exists => v.is_some(),
                    NodeSelectorOperator::DoesNotExist => v.is_none(),
                }
            })
    })
}

/// The plugin whose required rule `node` breaks first, if any.
fn first_broken(
    i: usize,
    nodes: &[KubeNode],
    pods: &[Bound],
    ns: &str,
    spec: &PodScheduling,
    req: &Request,
) -> Option<Plugin> {
    let node = &nodes[i];
    if !node.host.accepting {
        return Some(Plugin::HostAvailable);
    }
    let tolerates_cordon = tolerates(
        &spec.tolerations,
        TAINT_UNSCHEDULABLE,
        "",
        TaintEffect::NoSchedule,
    );
    if node.unschedulable && !tolerates_cordon {
        return Some(Plugin::NodeUnschedulable);
    }
    if filtering_taints(node)
        .iter()
        .any(|(k, v, e)| !tolerates(&spec.tolerations, k, v, *e))
    {
        return Some(Plugin::TaintToleration);
    }
    if !node_affinity_holds(spec, node.labels) {
        return Some(Plugin::NodeAffinity);
    }
    let on_node = pods.iter().filter(|p| p.node == i).count() as u64;
    let cpu_mhz = match req.cpu {
        CpuAmount::Mhz(m) => m,
        CpuAmount::Millicores(mc) => (mc * node.host.core_mhz as u64).div_ceil(1000),
    };
    let free_cpu = node
        .host
        .cpu_capacity_mhz
        .saturating_sub(node.host.cpu_reserved_mhz);
    let free_mem = node
        .host
        .mem_capacity
        .saturating_sub(node.host.mem_reserved);
    if on_node + 1 > node.max_pods as u64 || cpu_mhz > free_cpu || req.memory > free_mem {
        return Some(Plugin::NodeResourcesFit);
    }
    // Matching pods of the namespace on a node.
    let matching = |n: usize, s: &LabelSelector| {
        pods.iter()
            .filter(|p| p.node == n && p.namespace == ns && selects(s, &p.spec.labels))
            .count() as i64
    };
    for c in &spec.topology_spread {
        if c.when_unsatisfiable != WhenUnsatisfiable::DoNotSchedule {
            continue;
        }
        let eligible = |n: usize| {
            let nd = &nodes[n];
            let by_affinity = c.node_affinity_policy == InclusionPolicy::Ignore
                || node_affinity_holds(spec, nd.labels);
            let by_taints = c.node_taints_policy == InclusionPolicy::Ignore
                || (filtering_taints(nd)
                    .iter()
                    .all(|(k, v, e)| tolerates(&spec.tolerations, k, v, *e))
                    && ((!nd.unschedulable && nd.host.accepting) || tolerates_cordon));
            by_affinity && by_taints
        };
        let domains: Vec<usize> = (0..nodes.len()).filter(|&n| eligible(n)).collect();
        let Some(mut min) = domains
            .iter()
            .map(|&n| matching(n, &c.label_selector))
            .min()
        else {
            continue;
        };
        if (domains.len() as u32) < c.min_domains {
            min = 0;
        }
        let here = if eligible(i) {
            matching(i, &c.label_selector)
        } else {
            0
        };
        let own = selects(&c.label_selector, &spec.labels) as i64;
        if here + own - min > c.max_skew as i64 {
            return Some(Plugin::PodTopologySpread);
        }
    }
    let req_aff = &spec.pod_affinity.required;
    if !req_aff.is_empty() {
        let matches_all = |p: &Bound| {
            p.namespace == ns
                && req_aff
                    .iter()
                    .all(|t| selects(&t.label_selector, &p.spec.labels))
        };
        let here = pods.iter().any(|p| p.node == i && matches_all(p));
        let anywhere = pods.iter().any(matches_all);
        let itself = req_aff
            .iter()
            .all(|t| selects(&t.label_selector, &spec.labels));
        if !here && (anywhere || !itself) {
            return Some(Plugin::InterPodAffinity);
        }
    }
    for p in pods.iter().filter(|p| p.node == i && p.namespace == ns) {
        let mine = spec
            .pod_anti_affinity
            .required
            .iter()
            .any(|t| selects(&t.label_selector, &p.spec.labels));
        let theirs = p
            .spec
            .pod_anti_affinity
            .required
            .iter()
            .any(|t| selects(&t.label_selector, &spec.labels));
        if mine || theirs {
            return Some(Plugin::InterPodAffinity);
        }
    }
    None
}

// Random inputs over a small alphabet, so that selectors often match.

fn small_labels() -> impl Strategy<Value = Labels> {
    prop::collection::btree_map(
        prop::sample::select(vec!["app", "tier"]).prop_map(String::from),
        prop::sample::select(vec!["a", "b"]).prop_map(String::from),
        0..=2,
    )
}

fn selector() -> impl Strategy<Value = LabelSelector> {
    small_labels().prop_map(|match_labels| LabelSelector { match_labels })
}

fn toleration() -> impl Strategy<Value = Toleration> {
    (
        prop::sample::select(vec![
            "",
            "gpu",
            "spot",
            TAINT_UNSCHEDULABLE,
            TAINT_NOT_READY,
        ]),
        any::<bool>(),
        prop::sample::select(vec!["", "a", "b"]),
        prop::option::of(prop::sample::select(TaintEffect::ALL.to_vec())),
    )
        .prop_map(|(key, exists, value, effect)| {
            let exists = exists || key.is_empty();
            Toleration {
                key: key.into(),
                operator: if exists {
                    TolerationOperator::Exists
                } else {
                    TolerationOperator::Equal
                },
                value: if exists { String::new() } else { value.into() },
                effect,
            }
        })
}

fn requirement() -> impl Strategy<Value = NodeSelectorRequirement> {
    (
        prop::sample::select(vec!["disk", "zone"]),
        prop::sample::select(NodeSelectorOperator::ALL.to_vec()),
        prop::collection::vec(prop::sample::select(vec!["a", "b"]), 1..=2),
    )
        .prop_map(|(key, operator, values)| NodeSelectorRequirement {
            key: key.into(),
            operator,
            values: if operator.takes_values() {
                values.into_iter().map(String::from).collect()
            } else {
                Vec::new()
            },
        })
}

fn constraint() -> impl Strategy<Value = TopologySpreadConstraint> {
    (
        1u32..=2,
        any::<bool>(),
        selector(),
        1u32..=5,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(skew, hard, sel, min_domains, honor_affinity, honor_taints)| {
                let when = if hard {
                    WhenUnsatisfiable::DoNotSchedule
                } else {
                    WhenUnsatisfiable::ScheduleAnyway
                };
                let mut c = TopologySpreadConstraint::new(skew, when, sel);
                c.min_domains = if hard { min_domains } else { 1 };
                c.node_affinity_policy = if honor_affinity {
                    InclusionPolicy::Honor
                } else {
                    InclusionPolicy::Ignore
                };
                c.node_taints_policy = if honor_taints {
                    InclusionPolicy::Honor
                } else {
                    InclusionPolicy::Ignore
                };
                c
            },
        )
}

fn pod_spec() -> impl Strategy<Value = PodScheduling> {
    (
        small_labels(),
        prop::collection::btree_map(
            prop::sample::select(vec!["disk", "zone"]).prop_map(String::from),
            prop::sample::select(vec!["a", "b"]).prop_map(String::from),
            0..=1,
        ),
        prop::collection::vec(prop::collection::vec(requirement(), 0..=2), 0..=2),
        prop::collection::vec(toleration(), 0..=2),
        prop::collection::vec(selector(), 0..=2),
        prop::collection::vec(selector(), 0..=2),
        prop::collection::vec(constraint(), 0..=2),
    )
        .prop_map(
            |(labels, node_selector, terms, tolerations, aff, anti, spread)| PodScheduling {
                labels,
                node_selector,
                node_affinity: terms
                    .into_iter()
                    .map(|match_expressions| NodeSelectorTerm { match_expressions })
                    .collect(),
                pod_affinity: PodAffinity {
                    required: aff
                        .into_iter()
                        .map(|label_selector| PodAffinityTerm { label_selector })
                        .collect(),
                    preferred: Vec::new(),
                },
                pod_anti_affinity: PodAffinity {
                    required: anti
                        .into_iter()
                        .map(|label_selector| PodAffinityTerm { label_selector })
                        .collect(),
                    preferred: Vec::new(),
                },
                tolerations,
                topology_spread: spread,
            },
        )
}

/// A node's fixed parts: labels, taints, capacity used, state.
#[derive(Clone, Debug)]
struct NodeParts {
    labels: Labels,
    taints: Vec<Taint>,
    host: HostView,
    max_pods: u32,
    unschedulable: bool,
    readiness: Readiness,
}

fn node_parts() -> impl Strategy<Value = NodeParts> {
    (
        prop::collection::btree_map(
            prop::sample::select(vec!["disk", "zone"]).prop_map(String::from),
            prop::sample::select(vec!["a", "b"]).prop_map(String::from),
            0..=2,
        ),
        prop::collection::vec(
            (
                prop::sample::select(vec!["gpu", "spot"]),
                prop::sample::select(vec!["", "a"]),
                prop::sample::select(TaintEffect::ALL.to_vec()),
            ),
            0..=1,
        ),
        prop::sample::select(vec![0u64, 0, 0, 50, 90, 100]),
        prop::sample::select(vec![0u64, 0, 0, 50, 90, 100]),
        1u32..=8,
        prop::sample::select(vec![0u8, 0, 0, 1, 2, 3]),
        prop::sample::select(vec![
            Readiness::Ready,
            Readiness::Ready,
            Readiness::NotReady,
            Readiness::Unknown,
        ]),
    )
        .prop_map(
            |(labels, taints, cpu_pct, mem_pct, max_pods, state, readiness)| {
                let mut ts: Vec<Taint> = Vec::new();
                for (k, v, e) in taints {
                    if !ts.iter().any(|t| t.key == k && t.effect == e) {
                        ts.push(Taint::new(k, v, e));
                    }
                }
                NodeParts {
                    labels,
                    taints: ts,
                    host: HostView {
                        cores: 4,
                        core_mhz: 2000,
                        cpu_capacity_mhz: 8000,
                        mem_capacity: 64,
                        cpu_reserved_mhz: 8000 * cpu_pct / 100,
                        mem_reserved: 64 * mem_pct / 100,
                        accepting: state != 1,
                        ..HostView::default()
                    },
                    max_pods,
                    unschedulable: state == 2,
                    readiness: if state == 3 {
                        Readiness::NotReady
                    } else {
                        readiness
                    },
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_filter_agrees_with_the_literal_reading(
        parts in prop::collection::vec(node_parts(), 1..=5),
        templates in prop::collection::vec((pod_spec(), any::<bool>()), 1..=4),
        placed in prop::collection::vec((0usize..5, 0usize..4), 0..=14),
        removed in prop::collection::vec(0usize..14, 0..=4),
        incoming in pod_spec(),
        other_ns in any::<bool>(),
        cpu_mc in 0u64..1500,
        mem in 0u64..20,
    ) {
        let n = parts.len();
        let names: Vec<String> = (0..n).map(|i| format!("esx-{i}")).collect();
        let labels: Vec<Labels> = parts
            .iter()
            .zip(&names)
            .map(|(p, name)| {
                let mut l = p.labels.clone();
                l.insert(HOSTNAME_KEY.into(), name.clone());
                l
            })
            .collect();
        let nodes: Vec<KubeNode> = (0..n)
            .map(|i| KubeNode {
                name: &names[i],
                host: &parts[i].host,
                labels: &labels[i],
                taints: &parts[i].taints,
                max_pods: parts[i].max_pods,
                unschedulable: parts[i].unschedulable,
                readiness: parts[i].readiness,
            })
            .collect();
        // Bind pods (namespace team-a, or team-b for some templates), then remove some.
        let mut bound = BoundPods::new(n);
        let mut pods: Vec<(Bound, PodClassId)> = Vec::new();
        for (node, t) in placed {
            let (spec, b_ns) = &templates[t % templates.len()];
            let ns = if *b_ns && other_ns { "team-b" } else { "team-a" };
            let class = bound.class(ns, spec);
            bound.add(node % n, class);
            pods.push((Bound { node: node % n, namespace: ns.into(), spec: spec.clone() }, class));
        }
        let mut removed = removed;
        removed.sort_unstable();
        removed.dedup();
        for r in removed.into_iter().rev() {
            if r < pods.len() {
                let (b, class) = pods.remove(r);
                prop_assert!(bound.remove(b.node, class));
            }
        }
        let flat: Vec<Bound> = pods.into_iter().map(|(b, _)| b).collect();

        let req = Request { cpu: CpuAmount::Millicores(cpu_mc), memory: mem, vcpus: 0 };
        let pod = PodRequest { namespace: "team-a", spec: &incoming, resources: req };
        let e = evaluate(&nodes, &bound, &pod);
        prop_assert_eq!(e.verdicts.len(), n);
        for i in 0..n {
            let expected = first_broken(i, &nodes, &flat, "team-a", &incoming, &req);
            let got = match e.verdicts[i] {
                Verdict::Feasible(_) => None,
                Verdict::Filtered(f) => Some(f.plugin()),
            };
            prop_assert_eq!(got, expected, "node {}", i);
            if let Verdict::Feasible(s) = e.verdicts[i] {
                for v in [Some(s.taint_toleration), s.inter_pod_affinity, s.pod_topology_spread].into_iter().flatten() {
                    prop_assert!((0..=MAX_NODE_SCORE).contains(&v), "score {} out of range", v);
                }
            }
        }
        // The explanation names every node once, and its count is the feasible set's.
        let x = e.explain(&nodes);
        prop_assert_eq!(x.nodes.0.len(), n);
        prop_assert_eq!(x.feasible, e.feasible().count());
        prop_assert_eq!(x.message.is_some(), x.feasible == 0);
    }
}
