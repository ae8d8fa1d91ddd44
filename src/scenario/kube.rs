//! Kubernetes scheduling constraints in a scenario: node labels, taints and pod limits of
//! host groups; labels, node selectors, node and pod (anti-)affinity, tolerations and
//! topology spread of pods. This module has the checked types and what they mean (which
//! labels a selector matches, which taint a toleration tolerates);
//! [`raw`] has the file format and [`validate`] turns one into the other.
//! `policy::kube` filters and scores nodes with them, as kube-scheduler does.
//!
//! Every pod (anti-)affinity term and spread constraint here is over the topology key
//! [`HOSTNAME_KEY`]: in a Supervisor cluster each ESXi host is one Kubernetes node (its
//! Spherelet registers it), and the simulator knows no zones or racks, so the host is the
//! only topology domain. Terms select pods in the pod's own namespace, Kubernetes' meaning
//! of a term that names no `namespaces` (`GetNamespacesFromPodAffinityTerm`).

pub mod raw;
pub mod validate;

use serde::Serialize;
use std::collections::BTreeMap;

/// Labels of a node or a pod: key -> value, in key order.
pub type Labels = BTreeMap<String, String>;

/// The well-known label every node carries, its value the node's name (here the ESXi
/// host's name), and the only topology key of this simulator (Kubernetes docs,
/// "Well-Known Labels, Annotations and Taints": `kubernetes.io/hostname`).
pub const HOSTNAME_KEY: &str = "kubernetes.io/hostname";

/// Pods a node takes when its host group does not say: 110, the kubelet's `maxPods`
/// default and the per-node figure of Kubernetes' scalability thresholds
/// (kubernetes/community `sig-scalability/configs-and-limits/thresholds.md`). VMware does
/// not publish a Spherelet figure; this is an assumption for Supervisor hosts.
pub const DEFAULT_MAX_PODS: u32 = 110;

/// Taint the node lifecycle controller puts on a node whose Ready condition is False
/// (Kubernetes docs, "Taints and Tolerations", taint-based evictions and
/// `TaintNodesByCondition`), with effect `NoSchedule` for scheduling.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Taint of a node whose Ready condition is Unknown (its heartbeats stopped).
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// Taint of a cordoned node (`spec.unschedulable`); a pod that tolerates it with effect
/// `NoSchedule` may go to a cordoned node (kube-scheduler's NodeUnschedulable plugin).
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// What a taint does to pods that do not tolerate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum TaintEffect {
    /// New pods are not scheduled on the node (a filter).
    NoSchedule,
    /// The scheduler avoids the node when it can (a score, never a filter).
    PreferNoSchedule,
    /// New pods are not scheduled, and running ones are evicted (a filter here; eviction
    /// is the model's business).
    NoExecute,
}

impl TaintEffect {
    pub const ALL: [TaintEffect; 3] = [
        TaintEffect::NoSchedule,
        TaintEffect::PreferNoSchedule,
        TaintEffect::NoExecute,
    ];

    /// The name as Kubernetes writes it.
    pub fn name(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }

    pub fn parse(s: &str) -> Option<TaintEffect> {
        TaintEffect::ALL.into_iter().find(|e| e.name() == s)
    }

    /// Whether kube-scheduler's TaintToleration filter looks at taints of this effect
    /// (`DoNotScheduleTaintsFilterFunc`: NoSchedule and NoExecute).
    pub fn filters(self) -> bool {
        matches!(self, TaintEffect::NoSchedule | TaintEffect::NoExecute)
    }
}

/// A node taint `{ key, value, effect }`; the value may be empty.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: TaintEffect,
}

impl Taint {
    pub fn new(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint {
            key: key.to_string(),
            value: value.to_string(),
            effect,
        }
    }
}

/// How a toleration compares values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TolerationOperator {
    /// The taint's value must equal the toleration's (the default).
    Equal,
    /// Any value; with an empty key, any taint at all.
    Exists,
}

impl TolerationOperator {
    pub const NAMES: [&'static str; 2] = ["Equal", "Exists"];
}

/// A pod's toleration.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Toleration {
    /// Empty: every key (only with [`TolerationOperator::Exists`]).
    pub key: String,
    pub operator: TolerationOperator,
    pub value: String,
    /// `None`: every effect.
    pub effect: Option<TaintEffect>,
}

impl Toleration {
    /// Kubernetes' `Toleration.ToleratesTaint`: the effect matches (or is left out), the
    /// key matches (or is empty), and the operator accepts the value.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
        }
    }
}

/// Whether any of `tolerations` tolerates `taint`.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

/// The operators of a node selector requirement (Gt and Lt are not supported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeSelectorOperator {
    /// The label is present with one of the values.
    In,
    /// The label is absent, or present with none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

impl NodeSelectorOperator {
    pub const ALL: [NodeSelectorOperator; 4] = [
        NodeSelectorOperator::In,
        NodeSelectorOperator::NotIn,
        NodeSelectorOperator::Exists,
        NodeSelectorOperator::DoesNotExist,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NodeSelectorOperator::In => "In",
            NodeSelectorOperator::NotIn => "NotIn",
            NodeSelectorOperator::Exists => "Exists",
            NodeSelectorOperator::DoesNotExist => "DoesNotExist",
        }
    }

    pub fn parse(s: &str) -> Option<NodeSelectorOperator> {
        NodeSelectorOperator::ALL
            .into_iter()
            .find(|o| o.name() == s)
    }

    /// In and NotIn need values; Exists and DoesNotExist take none.
    pub fn takes_values(self) -> bool {
        matches!(self, NodeSelectorOperator::In | NodeSelectorOperator::NotIn)
    }
}

/// One `{ key, operator, values }` of a node selector term.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub operator: NodeSelectorOperator,
    pub values: Vec<String>,
}

impl NodeSelectorRequirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let v = labels.get(&self.key);
        match self.operator {
            NodeSelectorOperator::In => v.is_some_and(|v| self.values.contains(v)),
            NodeSelectorOperator::NotIn => v.is_none_or(|v| !self.values.contains(v)),
            NodeSelectorOperator::Exists => v.is_some(),
            NodeSelectorOperator::DoesNotExist => v.is_none(),
        }
    }
}

/// A node selector term: its requirements all hold (ANDed). A term without requirements
/// matches no node (Kubernetes: "a null or empty node selector term matches no objects").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<NodeSelectorRequirement>,
}

impl NodeSelectorTerm {
    pub fn matches(&self, labels: &Labels) -> bool {
        !self.match_expressions.is_empty()
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

/// `matchLabels`: every pair is present. An empty selector matches every pod
/// (`LabelSelectorAsSelector` of `{}` is "everything").
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelSelector {
    pub match_labels: Labels,
}

impl LabelSelector {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k).is_some_and(|l| l == v))
    }
}

/// A pod (anti-)affinity term over [`HOSTNAME_KEY`]: the pods it selects, in the pod's own
/// namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodAffinityTerm {
    pub label_selector: LabelSelector,
}

/// A preferred term with its weight, 1 to 100.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WeightedPodAffinityTerm {
    pub weight: u32,
    pub term: PodAffinityTerm,
}

/// Pod affinity or anti-affinity: required terms (filters) and preferred ones (scores).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodAffinity {
    pub required: Vec<PodAffinityTerm>,
    pub preferred: Vec<WeightedPodAffinityTerm>,
}

impl PodAffinity {
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.preferred.is_empty()
    }
}

/// What a spread constraint does when it cannot be met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WhenUnsatisfiable {
    /// A filter: nodes that would raise the skew above `max_skew` are out.
    DoNotSchedule,
    /// A score: nodes with fewer matching pods score higher.
    ScheduleAnyway,
}

impl WhenUnsatisfiable {
    pub const NAMES: [&'static str; 2] = ["DoNotSchedule", "ScheduleAnyway"];
}

/// Whether a spread constraint counts a node that the pod could not go to
/// (`nodeAffinityPolicy`, `nodeTaintsPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InclusionPolicy {
    /// Only nodes that pass the pod's node affinity (or tolerate-all-taints) test count.
    Honor,
    /// Every node counts.
    Ignore,
}

impl InclusionPolicy {
    pub const NAMES: [&'static str; 2] = ["Honor", "Ignore"];
}

/// A topology spread constraint over [`HOSTNAME_KEY`]: the number of matching pods on
/// the node (plus one if the pod itself matches) minus the fewest on any eligible node
/// stays within `max_skew`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopologySpreadConstraint {
    pub max_skew: u32,
    pub when_unsatisfiable: WhenUnsatisfiable,
    pub label_selector: LabelSelector,
    /// With fewer eligible nodes than this, the fewest is taken as 0 (default 1, which
    /// changes nothing). DoNotSchedule only.
    pub min_domains: u32,
    /// Default Honor (Kubernetes' default).
    pub node_affinity_policy: InclusionPolicy,
    /// Default Ignore (Kubernetes' default): tainted and cordoned nodes count.
    pub node_taints_policy: InclusionPolicy,
}

impl TopologySpreadConstraint {
    /// A constraint with Kubernetes' defaults for the optional fields.
    pub fn new(max_skew: u32, when: WhenUnsatisfiable, selector: LabelSelector) -> Self {
        TopologySpreadConstraint {
            max_skew,
            when_unsatisfiable: when,
            label_selector: selector,
            min_domains: 1,
            node_affinity_policy: InclusionPolicy::Honor,
            node_taints_policy: InclusionPolicy::Ignore,
        }
    }
}

/// Everything about a pod that Kubernetes scheduling looks at, but its resource requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodScheduling {
    pub labels: Labels,
    /// Every pair must be a label of the node (`nodeSelector`).
    pub node_selector: Labels,
    /// Required node affinity terms, ORed; empty: no constraint.
    pub node_affinity: Vec<NodeSelectorTerm>,
    pub pod_affinity: PodAffinity,
    pub pod_anti_affinity: PodAffinity,
    pub tolerations: Vec<Toleration>,
    pub topology_spread: Vec<TopologySpreadConstraint>,
}

impl PodScheduling {
    /// kube-scheduler's NodeAffinity filter: the node selector and the required node
    /// affinity both hold (`GetRequiredNodeAffinity(pod).Match(node)`).
    pub fn node_affinity_matches(&self, labels: &Labels) -> bool {
        self.node_selector
            .iter()
            .all(|(k, v)| labels.get(k).is_some_and(|l| l == v))
            && (self.node_affinity.is_empty()
                || self.node_affinity.iter().any(|t| t.matches(labels)))
    }

    /// Whether the node selector or node affinity names [`HOSTNAME_KEY`] (so that a
    /// static check must look at each host's name).
    pub fn mentions_hostname(&self) -> bool {
        self.node_selector.contains_key(HOSTNAME_KEY)
            || self
                .node_affinity
                .iter()
                .flat_map(|t| &t.match_expressions)
                .any(|r| r.key == HOSTNAME_KEY)
    }
}

/// The Kubernetes side of a host group: its hosts' labels and taints and how many pods
/// each takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeTemplate {
    /// Never holds [`HOSTNAME_KEY`]; [`NodeTemplate::labels_for`] adds it per host.
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub max_pods: u32,
}

impl Default for NodeTemplate {
    fn default() -> Self {
        NodeTemplate {
            labels: Labels::new(),
            taints: Vec::new(),
            max_pods: DEFAULT_MAX_PODS,
        }
    }
}

impl NodeTemplate {
    /// The labels of the host named `host`: the group's, plus `kubernetes.io/hostname`.
    pub fn labels_for(&self, host: &str) -> Labels {
        let mut l = self.labels.clone();
        l.insert(HOSTNAME_KEY.to_string(), host.to_string());
        l
    }

    /// The first taint (of effect NoSchedule or NoExecute) that `tolerations` leave
    /// untolerated, as kube-scheduler's TaintToleration filter finds it.
    pub fn untolerated(&self, tolerations: &[Toleration]) -> Option<&Taint> {
        self.taints
            .iter()
            .find(|t| t.effect.filters() && !tolerated(tolerations, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn toleration(
        key: &str,
        op: TolerationOperator,
        value: &str,
        effect: Option<TaintEffect>,
    ) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op,
            value: value.into(),
            effect,
        }
    }

    #[test]
    fn a_toleration_matches_effect_key_and_value() {
        use TaintEffect::*;
        use TolerationOperator::*;
        let gpu = Taint::new("gpu", "true", NoSchedule);
        assert!(toleration("gpu", Equal, "true", Some(NoSchedule)).tolerates(&gpu));
        assert!(toleration("gpu", Equal, "true", None).tolerates(&gpu));
        assert!(!toleration("gpu", Equal, "false", None).tolerates(&gpu));
        assert!(!toleration("gpu", Equal, "true", Some(NoExecute)).tolerates(&gpu));
        assert!(toleration("gpu", Exists, "", None).tolerates(&gpu));
        assert!(!toleration("fpga", Exists, "", None).tolerates(&gpu));
        // An empty key with Exists tolerates everything.
        assert!(toleration("", Exists, "", None).tolerates(&gpu));
        assert!(toleration("", Exists, "", None).tolerates(&Taint::new(
            TAINT_NOT_READY,
            "",
            NoExecute
        )));
        assert!(!toleration("", Exists, "", Some(PreferNoSchedule)).tolerates(&gpu));
    }

    #[test]
    fn node_selector_operators() {
        use NodeSelectorOperator::*;
        let node = labels(&[("disk", "ssd"), ("zone", "a")]);
        let req = |key: &str, operator, values: &[&str]| NodeSelectorRequirement {
            key: key.into(),
            operator,
            values: values.iter().map(|s| s.to_string()).collect(),
        };
        assert!(req("disk", In, &["ssd", "nvme"]).matches(&node));
        assert!(!req("disk", In, &["hdd"]).matches(&node));
        assert!(!req("gpu", In, &["true"]).matches(&node));
        assert!(req("disk", NotIn, &["hdd"]).matches(&node));
        assert!(
            req("gpu", NotIn, &["true"]).matches(&node),
            "an absent label is not in any set"
        );
        assert!(!req("disk", NotIn, &["ssd"]).matches(&node));
        assert!(req("zone", Exists, &[]).matches(&node));
        assert!(!req("gpu", Exists, &[]).matches(&node));
        assert!(req("gpu", DoesNotExist, &[]).matches(&node));
        assert!(!req("zone", DoesNotExist, &[]).matches(&node));
        let empty = NodeSelectorTerm {
            match_expressions: vec![],
        };
        assert!(!empty.matches(&node), "an empty term matches no node");
    }

    #[test]
    fn node_affinity_is_the_selector_and_any_required_term() {
        use NodeSelectorOperator::*;
        let ssd = labels(&[("disk", "ssd")]);
        let hdd = labels(&[("disk", "hdd"), ("gpu", "true")]);
        let term = |key: &str, operator, values: &[&str]| NodeSelectorTerm {
            match_expressions: vec![NodeSelectorRequirement {
                key: key.into(),
                operator,
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
        };
        let mut pod = PodScheduling::default();
        assert!(pod.node_affinity_matches(&ssd) && pod.node_affinity_matches(&hdd));
        pod.node_affinity = vec![term("disk", In, &["ssd"]), term("gpu", Exists, &[])];
        assert!(pod.node_affinity_matches(&ssd) && pod.node_affinity_matches(&hdd));
        pod.node_selector = labels(&[("disk", "hdd")]);
        assert!(!pod.node_affinity_matches(&ssd) && pod.node_affinity_matches(&hdd));
    }

    #[test]
    fn label_selectors_need_every_pair_and_empty_selects_all() {
        let pod = labels(&[("app", "web"), ("tier", "front")]);
        let sel = |pairs: &[(&str, &str)]| LabelSelector {
            match_labels: labels(pairs),
        };
        assert!(sel(&[("app", "web")]).matches(&pod));
        assert!(sel(&[("app", "web"), ("tier", "front")]).matches(&pod));
        assert!(!sel(&[("app", "web"), ("tier", "back")]).matches(&pod));
        assert!(!sel(&[("app", "db")]).matches(&Labels::new()));
        assert!(sel(&[]).matches(&Labels::new()));
    }

    #[test]
    fn a_host_gets_its_hostname_label() {
        let t = NodeTemplate {
            labels: labels(&[("disk", "ssd")]),
            ..NodeTemplate::default()
        };
        assert_eq!(
            t.labels_for("esx-3"),
            labels(&[("disk", "ssd"), (HOSTNAME_KEY, "esx-3")])
        );
        assert_eq!(t.max_pods, 110);
    }
}
