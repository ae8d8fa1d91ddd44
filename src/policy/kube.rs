//! Kubernetes scheduling of native pods: kube-scheduler's *filter* plugins, and the score
//! plugins of its soft constraints, as pure functions over a read-only view of the nodes
//! (the ESXi hosts of a Supervisor cluster) and the pods bound to them. In Project Pacific
//! the scheduler extension then asks DRS for a host among the feasible ones; this module
//! gives the feasible set, per-node scores the caller may combine with DRS's choice, and
//! for every filtered node the plugin that filtered it and kube-scheduler's message.
//!
//! # Plugins, in kube-scheduler's order
//!
//! Filters run per node in the default profile's order (kubernetes
//! `pkg/scheduler/apis/config/v1/default_plugins.go`) and stop at the first that fails, as
//! kube-scheduler does; the reason is that plugin's message (its `ErrReason` constants).
//!
//! | plugin | filters a node when | message |
//! |---|---|---|
//! | `HostAvailable` (vSphere) | the ESXi host takes no work: powered off, standby, failed or in maintenance mode ([`HostView::accepting`]); no toleration helps, vCenter would not power on a CRX there | `node(s) were on hosts not accepting work (powered off, standby, failed or in maintenance mode)` |
//! | `NodeUnschedulable` | the node is cordoned (`spec.unschedulable`) and the pod does not tolerate `node.kubernetes.io/unschedulable:NoSchedule` | `node(s) were unschedulable` |
//! | `TaintToleration` | a `NoSchedule` or `NoExecute` taint is not tolerated (the first, in the node's order; a NotReady node has `node.kubernetes.io/not-ready:NoSchedule` and an unreachable one `node.kubernetes.io/unreachable:NoSchedule` after its own). `PreferNoSchedule` never filters | `node(s) had untolerated taint {key: value}` |
//! | `NodeAffinity` | a `node_selector` label is missing or different, or no required node affinity term matches (In, NotIn, Exists, DoesNotExist) | `node(s) didn't match Pod's node affinity/selector` |
//! | `NodeResourcesFit` | the node has `max_pods` pods, or its free (unreserved) CPU or memory is below the pod's requests; every shortfall is listed | `Too many pods`, `Insufficient cpu`, `Insufficient memory` |
//! | `PodTopologySpread` | for a `DoNotSchedule` constraint, matching pods on the node + 1 (if the pod matches its own selector) − the fewest on any eligible node > `max_skew` | `node(s) didn't match pod topology spread constraints` |
//! | `InterPodAffinity` | no pod on the node matches all required affinity terms; a pod on it matches a required anti-affinity term; or a pod on it has a required anti-affinity term that matches this pod (the symmetric check) | `node(s) didn't match pod affinity rules`, `node(s) didn't match pod anti-affinity rules`, `node(s) didn't satisfy existing pods anti-affinity rules` |
//!
//! The messages are the plugins' constants in kubernetes `pkg/scheduler/framework/plugins/`:
//! `nodeunschedulable/node_unschedulable.go` (`ErrReasonUnschedulable`),
//! `tainttoleration/taint_toleration.go` (the `untolerated taint {%s: %s}` format),
//! `nodeaffinity/node_affinity.go` (`ErrReasonPod`), `noderesources/fit.go`
//! (`Insufficient %v`, `Too many pods`), `podtopologyspread/common.go`
//! (`ErrReasonConstraintsNotMatch`) and `interpodaffinity/filtering.go` (its three
//! `ErrReason...RulesNotMatch`). `HostAvailable` and its message are this simulator's.
//!
//! Details that follow kube-scheduler:
//!
//! - **The first pod of a group**: a pod whose required affinity terms match no pod on
//!   any node passes the affinity check wherever it goes, if its own labels match all its
//!   terms (`satisfyPodAffinity` in `interpodaffinity/filtering.go`); otherwise it is
//!   filtered everywhere.
//! - **Spread domains**: a spread constraint's fewest is taken over the nodes that pass
//!   the pod's node affinity (`nodeAffinityPolicy: Honor`, the default) whatever their
//!   taints (`nodeTaintsPolicy: Ignore`, the default; with `Honor` only nodes whose taints
//!   the pod tolerates, a cordoned or not-accepting host counting as tainted
//!   `unschedulable`). With fewer such nodes than `min_domains` the fewest is 0
//!   (`podtopologyspread/filtering.go`). Cordoned hosts, and hosts in maintenance, count by
//!   default: an empty one holds the fewest at 0, as in Kubernetes.
//! - **Namespaces**: terms and constraints see pods of the pod's own namespace only.
//! - **Topology**: every term is over `kubernetes.io/hostname`: a node is its own domain.
//!
//! # Scores
//!
//! For the feasible nodes, the score plugins of the soft constraints, each normalised to
//! 0..=100 as kube-scheduler normalises it (`framework.MaxNodeScore` = 100):
//!
//! - `TaintToleration`: fewer untolerated `PreferNoSchedule` taints score higher
//!   (`DefaultNormalizeScore` reversed).
//! - `InterPodAffinity`: the sum over bound pods of the weights of the pod's preferred
//!   affinity terms they match, minus its preferred anti-affinity terms they match, plus
//!   (symmetric) their preferred affinity terms and, at `hardPodAffinityWeight` = 1, their
//!   required affinity terms that the pod matches, minus their preferred anti-affinity
//!   terms that it matches; scaled from the lowest (or 0) to the highest (or 0)
//!   (`interpodaffinity/scoring.go`). Left out when no term of the pod or of a bound pod of
//!   its namespace could apply.
//! - `PodTopologySpread`: for `ScheduleAnyway` constraints, raw = round(Σ matching pods ×
//!   ln(feasible nodes + 2) + (max_skew − 1)), then 100 × (max + min − raw) / max
//!   (`podtopologyspread/scoring.go`). Left out without such a constraint.
//!
//! [`Scores::weighted`] sums them with the default profile's weights (TaintToleration 3,
//! InterPodAffinity 2, PodTopologySpread 2). NodeResourcesFit's own scoring,
//! BalancedAllocation and ImageLocality are left to DRS, which chooses by load.
//!
//! # Cost
//!
//! [`BoundPods`] keeps per node a count of pods per [`PodClassId`]; a decision matches the
//! pod's selectors once per class and reads each node's short class list once, so it costs
//! O(classes × terms + nodes × classes per node), never a scan of every pod. The bench
//! `benches/kube.rs` measures it on 64 and 1,000 nodes of 100 pods each.
//!
//! # Example
//!
//! ```
//! use pacsim::policy::kube::{evaluate, BoundPods, KubeNode, PodRequest, Readiness, Verdict};
//! use pacsim::policy::{HostView, Request};
//! use pacsim::scenario::kube::{LabelSelector, Labels, PodAffinityTerm, PodScheduling};
//! use pacsim::scenario::CpuAmount;
//!
//! let host = HostView {
//!     cores: 32, core_mhz: 2600, cpu_capacity_mhz: 83_200, mem_capacity: 512 << 30,
//!     accepting: true, ..HostView::default()
//! };
//! let names = ["esx-0", "esx-1", "esx-2"];
//! let labels: Vec<Labels> = names
//!     .iter()
//!     .map(|n| [("kubernetes.io/hostname".to_string(), n.to_string())].into())
//!     .collect();
//! let nodes: Vec<KubeNode> = (0..3)
//!     .map(|i| KubeNode {
//!         name: names[i], host: &host, labels: &labels[i], taints: &[],
//!         max_pods: 110, unschedulable: false, readiness: Readiness::Ready,
//!     })
//!     .collect();
//!
//! // Web pods keep off each other's hosts; one already runs on esx-1.
//! let web_labels: Labels = [("app".to_string(), "web".to_string())].into();
//! let mut web = PodScheduling { labels: web_labels.clone(), ..PodScheduling::default() };
//! web.pod_anti_affinity.required.push(PodAffinityTerm {
//!     label_selector: LabelSelector { match_labels: web_labels },
//! });
//! let mut bound = BoundPods::new(nodes.len());
//! let class = bound.class("team-a", &web);
//! bound.add(1, class);
//!
//! let pod = PodRequest {
//!     namespace: "team-a",
//!     spec: &web,
//!     resources: Request { cpu: CpuAmount::Millicores(500), memory: 1 << 30, vcpus: 0 },
//! };
//! let eval = evaluate(&nodes, &bound, &pod);
//! assert_eq!(eval.feasible().collect::<Vec<_>>(), [0, 2]);
//! let Verdict::Filtered(why) = &eval.verdicts[1] else { unreachable!() };
//! assert_eq!(why.plugin().name(), "InterPodAffinity");
//! assert_eq!(why.reasons(&nodes[1]), ["node(s) didn't match pod anti-affinity rules"]);
//! // One JSON line for `--explain`.
//! let line = serde_json::to_string(&eval.explain(&nodes)).unwrap();
//! assert!(line.contains(r#""esx-1":{"filtered":"InterPodAffinity""#));
//! ```

mod bound;
mod explain;

pub use bound::{BoundPods, PodClassId};
pub use explain::{Explanation, NodeResult, NodeResults};

use super::view::{HostView, Request};
use crate::scenario::kube::{
    tolerated, InclusionPolicy, Labels, PodScheduling, Taint, TaintEffect, WhenUnsatisfiable,
    TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE,
};
use serde::Serialize;
use std::sync::LazyLock;

/// kube-scheduler's `framework.MaxNodeScore`: normalised scores are 0..=100.
pub const MAX_NODE_SCORE: i64 = 100;

/// Weight of an existing pod's required affinity term in InterPodAffinity's score:
/// `hardPodAffinityWeight`, default 1 (kube-scheduler `InterPodAffinityArgs`).
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// Score plugin weights of kube-scheduler's default profile (`default_plugins.go`).
pub const WEIGHT_TAINT_TOLERATION: i64 = 3;
pub const WEIGHT_INTER_POD_AFFINITY: i64 = 2;
pub const WEIGHT_POD_TOPOLOGY_SPREAD: i64 = 2;

/// Whether a node's Ready condition holds (from its Spherelet's heartbeats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Readiness {
    #[default]
    Ready,
    /// Ready is False: the node carries `node.kubernetes.io/not-ready:NoSchedule`.
    NotReady,
    /// Ready is Unknown (heartbeats stopped): `node.kubernetes.io/unreachable:NoSchedule`.
    Unknown,
}

static NOT_READY: LazyLock<Taint> =
    LazyLock::new(|| Taint::new(TAINT_NOT_READY, "", TaintEffect::NoSchedule));
static UNREACHABLE: LazyLock<Taint> =
    LazyLock::new(|| Taint::new(TAINT_UNREACHABLE, "", TaintEffect::NoSchedule));
static UNSCHEDULABLE: LazyLock<Taint> =
    LazyLock::new(|| Taint::new(TAINT_UNSCHEDULABLE, "", TaintEffect::NoSchedule));

impl Readiness {
    /// The taint the node lifecycle controller adds for this condition
    /// (`TaintNodesByCondition`).
    pub fn taint(self) -> Option<&'static Taint> {
        match self {
            Readiness::Ready => None,
            Readiness::NotReady => Some(&NOT_READY),
            Readiness::Unknown => Some(&UNREACHABLE),
        }
    }
}

/// One node (an ESXi host running a Spherelet) as the scheduler sees it.
#[derive(Clone, Copy, Debug)]
pub struct KubeNode<'a> {
    pub name: &'a str,
    /// Capacity, reservations (VM reservations and pod requests) and whether the host
    /// takes work.
    pub host: &'a HostView,
    /// With `kubernetes.io/hostname` (`NodeTemplate::labels_for`).
    pub labels: &'a Labels,
    pub taints: &'a [Taint],
    /// Pods the node takes (`NodeTemplate::max_pods`).
    pub max_pods: u32,
    /// Cordoned.
    pub unschedulable: bool,
    pub readiness: Readiness,
}

/// The pod to place.
#[derive(Clone, Copy, Debug)]
pub struct PodRequest<'a> {
    pub namespace: &'a str,
    pub spec: &'a PodScheduling,
    /// CPU and memory requests (`vcpus` 0).
    pub resources: Request,
}

/// A filter plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Plugin {
    HostAvailable,
    NodeUnschedulable,
    TaintToleration,
    NodeAffinity,
    NodeResourcesFit,
    PodTopologySpread,
    InterPodAffinity,
}

impl Plugin {
    /// kube-scheduler's plugin name (`HostAvailable` is vSphere's).
    pub fn name(self) -> &'static str {
        match self {
            Plugin::HostAvailable => "HostAvailable",
            Plugin::NodeUnschedulable => "NodeUnschedulable",
            Plugin::TaintToleration => "TaintToleration",
            Plugin::NodeAffinity => "NodeAffinity",
            Plugin::NodeResourcesFit => "NodeResourcesFit",
            Plugin::PodTopologySpread => "PodTopologySpread",
            Plugin::InterPodAffinity => "InterPodAffinity",
        }
    }
}

/// Which taint filtered a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintRef {
    /// `taints[i]` of the node.
    Node(usize),
    /// The taint of the node's [`Readiness`].
    Readiness,
}

/// Why a node was filtered: the first failing plugin's finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filtered {
    HostUnavailable,
    Unschedulable,
    UntoleratedTaint(TaintRef),
    NodeAffinity,
    /// NodeResourcesFit lists every shortfall.
    Resources {
        too_many_pods: bool,
        cpu: bool,
        memory: bool,
    },
    TopologySpread,
    PodAffinity,
    PodAntiAffinity,
    ExistingPodsAntiAffinity,
}

impl Filtered {
    pub fn plugin(self) -> Plugin {
        match self {
            Filtered::HostUnavailable => Plugin::HostAvailable,
            Filtered::Unschedulable => Plugin::NodeUnschedulable,
            Filtered::UntoleratedTaint(_) => Plugin::TaintToleration,
            Filtered::NodeAffinity => Plugin::NodeAffinity,
            Filtered::Resources { .. } => Plugin::NodeResourcesFit,
            Filtered::TopologySpread => Plugin::PodTopologySpread,
            Filtered::PodAffinity
            | Filtered::PodAntiAffinity
            | Filtered::ExistingPodsAntiAffinity => Plugin::InterPodAffinity,
        }
    }

    /// kube-scheduler's messages for this finding on `node`.
    pub fn reasons(self, node: &KubeNode) -> Vec<String> {
        let one = |s: &str| vec![s.to_string()];
        match self {
            Filtered::HostUnavailable => one("node(s) were on hosts not accepting work (powered off, standby, failed or in maintenance mode)"),
            Filtered::Unschedulable => one("node(s) were unschedulable"),
            Filtered::UntoleratedTaint(r) => {
                let t = match r {
                    TaintRef::Node(i) => node.taints.get(i),
                    TaintRef::Readiness => node.readiness.taint(),
                };
                let (k, v) = t.map_or(("?", ""), |t| (t.key.as_str(), t.value.as_str()));
                vec![format!("node(s) had untolerated taint {{{k}: {v}}}")]
            }
            Filtered::NodeAffinity => one("node(s) didn't match Pod's node affinity/selector"),
            Filtered::Resources {
                too_many_pods,
                cpu,
                memory,
            } => [
                (too_many_pods, "Too many pods"),
                (cpu, "Insufficient cpu"),
                (memory, "Insufficient memory"),
            ]
            .into_iter()
            .filter(|(b, _)| *b)
            .map(|(_, s)| s.to_string())
            .collect(),
            Filtered::TopologySpread => one("node(s) didn't match pod topology spread constraints"),
            Filtered::PodAffinity => one("node(s) didn't match pod affinity rules"),
            Filtered::PodAntiAffinity => one("node(s) didn't match pod anti-affinity rules"),
            Filtered::ExistingPodsAntiAffinity => {
                one("node(s) didn't satisfy existing pods anti-affinity rules")
            }
        }
    }
}

/// Normalised scores of a feasible node (0..=100); `None` for a plugin that had nothing
/// to score for this pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scores {
    pub taint_toleration: i64,
    pub inter_pod_affinity: Option<i64>,
    pub pod_topology_spread: Option<i64>,
}

impl Scores {
    /// The sum with the default profile's plugin weights.
    pub fn weighted(&self) -> i64 {
        WEIGHT_TAINT_TOLERATION * self.taint_toleration
            + WEIGHT_INTER_POD_AFFINITY * self.inter_pod_affinity.unwrap_or(0)
            + WEIGHT_POD_TOPOLOGY_SPREAD * self.pod_topology_spread.unwrap_or(0)
    }

    /// (plugin name, score) of the plugins that scored, by name.
    pub fn by_plugin(&self) -> Vec<(&'static str, i64)> {
        let mut v = vec![("TaintToleration", self.taint_toleration)];
        if let Some(s) = self.inter_pod_affinity {
            v.push(("InterPodAffinity", s));
        }
        if let Some(s) = self.pod_topology_spread {
            v.push(("PodTopologySpread", s));
        }
        v.sort();
        v
    }
}

/// The outcome for one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Feasible(Scores),
    Filtered(Filtered),
}

/// The outcome for every node, by node index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub verdicts: Vec<Verdict>,
}

impl Evaluation {
    /// Indexes of the feasible nodes, in order.
    pub fn feasible(&self) -> impl Iterator<Item = usize> + '_ {
        self.verdicts
            .iter()
            .enumerate()
            .filter(|(_, v)| matches!(v, Verdict::Feasible(_)))
            .map(|(i, _)| i)
    }

    pub fn is_feasible(&self, node: usize) -> bool {
        matches!(self.verdicts.get(node), Some(Verdict::Feasible(_)))
    }

    pub fn scores(&self, node: usize) -> Option<Scores> {
        match self.verdicts.get(node) {
            Some(Verdict::Feasible(s)) => Some(*s),
            _ => None,
        }
    }

    /// The feasible node kube-scheduler's scores rank first ([`Scores::weighted`]),
    /// ties to the lowest index (kube-scheduler breaks them at random).
    pub fn best(&self) -> Option<usize> {
        let mut best: Option<(usize, i64)> = None;
        for i in self.feasible() {
            let w = self.scores(i).map_or(0, |s| s.weighted());
            if best.is_none_or(|(_, b)| w > b) {
                best = Some((i, w));
            }
        }
        best.map(|(i, _)| i)
    }
}

/// Per class: how its pods bear on the pod being placed.
#[derive(Clone, Copy, Debug, Default)]
struct ClassMatch {
    /// Matches every required affinity term of the pod.
    affinity: bool,
    /// Matches some required anti-affinity term of the pod.
    anti: bool,
    /// One of its required anti-affinity terms matches the pod.
    existing_anti: bool,
    /// InterPodAffinity raw score per pod of the class.
    score: i64,
}

/// What a decision computes once per class.
struct Prepared {
    classes: Vec<ClassMatch>,
    /// `spread[c * k + j]`: class `c` matches constraint `j`'s selector.
    spread: Vec<bool>,
    k: usize,
    /// Some bound pod (anywhere) matches every required affinity term.
    affinity_anywhere: bool,
    /// InterPodAffinity has something to score.
    scores_affinity: bool,
}

impl Prepared {
    fn new(bound: &BoundPods, pod: &PodRequest) -> Prepared {
        let spec = pod.spec;
        let k = spec.topology_spread.len();
        let n = bound.classes().len();
        let mut p = Prepared {
            classes: vec![ClassMatch::default(); n],
            spread: vec![false; n * k],
            k,
            affinity_anywhere: false,
            scores_affinity: !spec.pod_affinity.preferred.is_empty()
                || !spec.pod_anti_affinity.preferred.is_empty(),
        };
        let req_aff = &spec.pod_affinity.required;
        let req_anti = &spec.pod_anti_affinity.required;
        for (c, class) in bound.classes().iter().enumerate() {
            // Classes with no pod bound, or of another namespace, never count.
            if bound.class_total(c) == 0 || class.namespace != pod.namespace {
                continue;
            }
            let l = &class.labels;
            let m = &mut p.classes[c];
            m.affinity = !req_aff.is_empty() && req_aff.iter().all(|t| t.label_selector.matches(l));
            m.anti = req_anti.iter().any(|t| t.label_selector.matches(l));
            m.existing_anti = class
                .required_anti_affinity
                .iter()
                .any(|s| s.matches(&spec.labels));
            let w = |terms: &[crate::scenario::kube::WeightedPodAffinityTerm]| -> i64 {
                terms
                    .iter()
                    .filter(|t| t.term.label_selector.matches(l))
                    .map(|t| t.weight as i64)
                    .sum()
            };
            let theirs = |terms: &[(u32, crate::scenario::kube::LabelSelector)]| -> i64 {
                terms
                    .iter()
                    .filter(|(_, s)| s.matches(&spec.labels))
                    .map(|(w, _)| *w as i64)
                    .sum()
            };
            m.score = w(&spec.pod_affinity.preferred) - w(&spec.pod_anti_affinity.preferred)
                + HARD_POD_AFFINITY_WEIGHT
                    * class
                        .required_affinity
                        .iter()
                        .filter(|s| s.matches(&spec.labels))
                        .count() as i64
                + theirs(&class.preferred_affinity)
                - theirs(&class.preferred_anti_affinity);
            p.affinity_anywhere |= m.affinity;
            p.scores_affinity |= class.has_terms();
            for (j, c2) in spec.topology_spread.iter().enumerate() {
                p.spread[c * k + j] = c2.label_selector.matches(l);
            }
        }
        p
    }
}

/// What the bound pods of one node add up to for the pod being placed.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    affinity: u32,
    anti: u32,
    existing_anti: u32,
    score: i64,
}

/// The first `NoSchedule`/`NoExecute` taint of `node` (its own, then its readiness
/// taint) that `pod` does not tolerate.
fn untolerated_taint(node: &KubeNode, spec: &PodScheduling) -> Option<TaintRef> {
    if let Some(i) = node
        .taints
        .iter()
        .position(|t| t.effect.filters() && !tolerated(&spec.tolerations, t))
    {
        return Some(TaintRef::Node(i));
    }
    match node.readiness.taint() {
        Some(t) if !tolerated(&spec.tolerations, t) => Some(TaintRef::Readiness),
        _ => None,
    }
}

/// A cordoned node the pod may still go to: it tolerates the `unschedulable` taint.
fn tolerates_cordon(spec: &PodScheduling) -> bool {
    tolerated(&spec.tolerations, &UNSCHEDULABLE)
}

/// Filters every node for `pod` and scores the feasible ones. `nodes[i]` is node `i` of
/// `bound`.
pub fn evaluate(nodes: &[KubeNode], bound: &BoundPods, pod: &PodRequest) -> Evaluation {
    let spec = pod.spec;
    let p = Prepared::new(bound, pod);
    let n = nodes.len();
    let k = p.k;

    // Per node: the bound pods' tallies and spread counts, and the node affinity match.
    let mut tallies = vec![Tally::default(); n];
    let mut spread_counts = vec![0u32; n * k];
    for (i, t) in tallies.iter_mut().enumerate() {
        for &(c, count) in bound.on_node(i) {
            let m = &p.classes[c.index()];
            if m.affinity {
                t.affinity += count;
            }
            if m.anti {
                t.anti += count;
            }
            if m.existing_anti {
                t.existing_anti += count;
            }
            t.score += m.score * count as i64;
            for j in 0..k {
                if p.spread[c.index() * k + j] {
                    spread_counts[i * k + j] += count;
                }
            }
        }
    }
    let affinity_ok: Vec<bool> = nodes
        .iter()
        .map(|node| spec.node_affinity_matches(node.labels))
        .collect();
    let cordon_ok = tolerates_cordon(spec);
    let taints_ok: Vec<bool> = if spec
        .topology_spread
        .iter()
        .any(|c| c.node_taints_policy == InclusionPolicy::Honor)
    {
        nodes
            .iter()
            .map(|node| {
                untolerated_taint(node, spec).is_none()
                    && (cordon_ok || (!node.unschedulable && node.host.accepting))
            })
            .collect()
    } else {
        vec![true; n]
    };
    let eligible = |i: usize, j: usize| {
        let c = &spec.topology_spread[j];
        (c.node_affinity_policy == InclusionPolicy::Ignore || affinity_ok[i])
            && (c.node_taints_policy == InclusionPolicy::Ignore || taints_ok[i])
    };
    // The fewest matching pods on an eligible node, per DoNotSchedule constraint.
    let fewest: Vec<Option<u32>> = (0..k)
        .map(|j| {
            let c = &spec.topology_spread[j];
            if c.when_unsatisfiable != WhenUnsatisfiable::DoNotSchedule {
                return None;
            }
            let mut domains = 0u64;
            let mut min: Option<u32> = None;
            for i in (0..n).filter(|&i| eligible(i, j)) {
                domains += 1;
                let v = spread_counts[i * k + j];
                min = Some(min.map_or(v, |m| m.min(v)));
            }
            min.map(|m| if domains < c.min_domains as u64 { 0 } else { m })
        })
        .collect();
    let self_spread: Vec<bool> = spec
        .topology_spread
        .iter()
        .map(|c| c.label_selector.matches(&spec.labels))
        .collect();
    let affinity_self = spec
        .pod_affinity
        .required
        .iter()
        .all(|t| t.label_selector.matches(&spec.labels));

    let filter = |i: usize| -> Option<Filtered> {
        let node = &nodes[i];
        let t = &tallies[i];
        if !node.host.accepting {
            return Some(Filtered::HostUnavailable);
        }
        if node.unschedulable && !cordon_ok {
            return Some(Filtered::Unschedulable);
        }
        if let Some(r) = untolerated_taint(node, spec) {
            return Some(Filtered::UntoleratedTaint(r));
        }
        if !affinity_ok[i] {
            return Some(Filtered::NodeAffinity);
        }
        let r = &pod.resources;
        let too_many_pods = bound.pods_on(i) as u64 + 1 > node.max_pods as u64;
        let cpu = r.cpu_mhz_on(node.host) > node.host.free_cpu_mhz();
        let memory = r.memory > node.host.free_mem();
        if too_many_pods || cpu || memory {
            return Some(Filtered::Resources {
                too_many_pods,
                cpu,
                memory,
            });
        }
        for j in 0..k {
            let Some(min) = fewest[j] else { continue };
            let here = if eligible(i, j) {
                spread_counts[i * k + j]
            } else {
                0
            };
            let skew = here as i64 + self_spread[j] as i64 - min as i64;
            if skew > spec.topology_spread[j].max_skew as i64 {
                return Some(Filtered::TopologySpread);
            }
        }
        if !spec.pod_affinity.required.is_empty()
            && t.affinity == 0
            && (p.affinity_anywhere || !affinity_self)
        {
            return Some(Filtered::PodAffinity);
        }
        if t.anti > 0 {
            return Some(Filtered::PodAntiAffinity);
        }
        if t.existing_anti > 0 {
            return Some(Filtered::ExistingPodsAntiAffinity);
        }
        None
    };
    let filtered: Vec<Option<Filtered>> = (0..n).map(filter).collect();
    let feasible: Vec<usize> = (0..n).filter(|&i| filtered[i].is_none()).collect();

    // Scores of the feasible nodes.
    let prefer: Vec<&crate::scenario::kube::Toleration> = spec
        .tolerations
        .iter()
        .filter(|t| t.effect.is_none_or(|e| e == TaintEffect::PreferNoSchedule))
        .collect();
    let raw_taints: Vec<i64> = feasible
        .iter()
        .map(|&i| {
            nodes[i]
                .taints
                .iter()
                .filter(|t| {
                    t.effect == TaintEffect::PreferNoSchedule
                        && !prefer.iter().any(|tol| tol.tolerates(t))
                })
                .count() as i64
        })
        .collect();
    let taint_scores = normalize_reverse(&raw_taints);
    let affinity_scores: Option<Vec<i64>> = p.scores_affinity.then(|| {
        let raw: Vec<i64> = feasible.iter().map(|&i| tallies[i].score).collect();
        normalize_affinity(&raw)
    });
    let soft: Vec<usize> = (0..k)
        .filter(|&j| {
            spec.topology_spread[j].when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway
        })
        .collect();
    let spread_scores: Option<Vec<i64>> = (!soft.is_empty()).then(|| {
        // ln(size + 2), size the feasible nodes (`topologyNormalizingWeight`).
        let weight = ((feasible.len() + 2) as f64).ln();
        let raw: Vec<i64> = feasible
            .iter()
            .map(|&i| {
                let s: f64 = soft
                    .iter()
                    .map(|&j| {
                        spread_counts[i * k + j] as f64 * weight
                            + (spec.topology_spread[j].max_skew as f64 - 1.0)
                    })
                    .sum();
                s.round() as i64
            })
            .collect();
        normalize_spread(&raw)
    });

    let mut verdicts: Vec<Verdict> = filtered
        .into_iter()
        .map(|f| f.map_or(Verdict::Feasible(Scores::default()), Verdict::Filtered))
        .collect();
    for (f, &i) in feasible.iter().enumerate() {
        verdicts[i] = Verdict::Feasible(Scores {
            taint_toleration: taint_scores[f],
            inter_pod_affinity: affinity_scores.as_ref().map(|s| s[f]),
            pod_topology_spread: spread_scores.as_ref().map(|s| s[f]),
        });
    }
    Evaluation { verdicts }
}

/// `DefaultNormalizeScore(MaxNodeScore, reverse = true)`: 100 × s / max, reversed; all
/// 100 when every score is 0.
fn normalize_reverse(raw: &[i64]) -> Vec<i64> {
    let max = raw.iter().copied().max().unwrap_or(0);
    raw.iter()
        .map(|&s| {
            if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE - MAX_NODE_SCORE * s / max
            }
        })
        .collect()
}

/// InterPodAffinity's NormalizeScore: from min(0, lowest) to max(0, highest) onto 0..100.
fn normalize_affinity(raw: &[i64]) -> Vec<i64> {
    let max = raw.iter().copied().fold(0, i64::max);
    let min = raw.iter().copied().fold(0, i64::min);
    let diff = max - min;
    raw.iter()
        .map(|&s| {
            if diff > 0 {
                (MAX_NODE_SCORE as f64 * ((s - min) as f64 / diff as f64)) as i64
            } else {
                0
            }
        })
        .collect()
}

/// PodTopologySpread's NormalizeScore: 100 × (max + min − s) / max; all 100 when the
/// highest is 0.
fn normalize_spread(raw: &[i64]) -> Vec<i64> {
    let max = raw.iter().copied().max().unwrap_or(0);
    let min = raw.iter().copied().min().unwrap_or(0);
    raw.iter()
        .map(|&s| {
            if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - s) / max
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reference;
