//! The pods bound to each node, in the form the filter reads: per node, how many pods of
//! each *pod class*, where a class is everything about a pod that other pods' selectors
//! and its own (anti-)affinity terms look at (namespace, labels, pod affinity terms).
//!
//! All pods of one workload share a class, so a node holding 100 pods typically lists a
//! handful of classes. Adding or removing a pod is O(classes on the node); a decision reads
//! each node's short list once, and matches selectors once per class, not once per pod.
//! The model keeps one [`PodClassId`] (4 bytes) per live pod.

use crate::scenario::kube::{LabelSelector, Labels, PodScheduling};
use std::collections::BTreeMap;

/// A pod class, from [`BoundPods::class`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodClassId(u32);

impl PodClassId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What of a bound pod other pods' scheduling looks at.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct PodClass {
    pub namespace: String,
    pub labels: Labels,
    pub required_affinity: Vec<LabelSelector>,
    pub required_anti_affinity: Vec<LabelSelector>,
    pub preferred_affinity: Vec<(u32, LabelSelector)>,
    pub preferred_anti_affinity: Vec<(u32, LabelSelector)>,
}

impl PodClass {
    /// Whether pods of this class have pod (anti-)affinity terms of their own.
    pub fn has_terms(&self) -> bool {
        !(self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty())
    }
}

#[derive(Clone, Debug, Default)]
struct NodePods {
    pods: u32,
    /// Sorted by class; counts above 0.
    by_class: Vec<(PodClassId, u32)>,
}

/// Pods bound to the nodes of one cluster (nodes indexed from 0, as in the `nodes` slice
/// given to [`evaluate`](super::evaluate)), counted by class. Every pod that occupies a
/// node belongs here, system pods included: the count is what NodeResourcesFit compares
/// with a node's `max_pods`.
#[derive(Clone, Debug, Default)]
pub struct BoundPods {
    classes: Vec<PodClass>,
    ids: BTreeMap<PodClass, PodClassId>,
    /// Pods of each class over all nodes.
    totals: Vec<u64>,
    nodes: Vec<NodePods>,
}

impl BoundPods {
    /// No pods on `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        BoundPods {
            nodes: vec![NodePods::default(); nodes],
            ..BoundPods::default()
        }
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Grows the cluster to `nodes` nodes (new ones empty); never shrinks it.
    pub fn ensure_nodes(&mut self, nodes: usize) {
        if nodes > self.nodes.len() {
            self.nodes.resize(nodes, NodePods::default());
        }
    }

    /// The class of pods in `namespace` with `spec` (interned: the same namespace,
    /// labels and pod affinity terms give the same id). Call it once per pod template.
    pub fn class(&mut self, namespace: &str, spec: &PodScheduling) -> PodClassId {
        let weighted = |a: &crate::scenario::kube::PodAffinity| {
            a.preferred
                .iter()
                .map(|w| (w.weight, w.term.label_selector.clone()))
                .collect()
        };
        let class = PodClass {
            namespace: namespace.to_string(),
            labels: spec.labels.clone(),
            required_affinity: spec
                .pod_affinity
                .required
                .iter()
                .map(|t| t.label_selector.clone())
                .collect(),
            required_anti_affinity: spec
                .pod_anti_affinity
                .required
                .iter()
                .map(|t| t.label_selector.clone())
                .collect(),
            preferred_affinity: weighted(&spec.pod_affinity),
            preferred_anti_affinity: weighted(&spec.pod_anti_affinity),
        };
        if let Some(id) = self.ids.get(&class) {
            return *id;
        }
        let id = PodClassId(self.classes.len() as u32);
        self.classes.push(class.clone());
        self.totals.push(0);
        self.ids.insert(class, id);
        id
    }

    /// A pod of `class` is bound to `node` (the cluster grows to hold `node`).
    pub fn add(&mut self, node: usize, class: PodClassId) {
        self.ensure_nodes(node + 1);
        let n = &mut self.nodes[node];
        n.pods += 1;
        match n.by_class.binary_search_by_key(&class, |(c, _)| *c) {
            Ok(i) => n.by_class[i].1 += 1,
            Err(i) => n.by_class.insert(i, (class, 1)),
        }
        self.totals[class.index()] += 1;
    }

    /// A pod of `class` left `node`. Returns false (and changes nothing) when the node
    /// held no pod of that class.
    pub fn remove(&mut self, node: usize, class: PodClassId) -> bool {
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        let Ok(i) = n.by_class.binary_search_by_key(&class, |(c, _)| *c) else {
            return false;
        };
        n.by_class[i].1 -= 1;
        if n.by_class[i].1 == 0 {
            n.by_class.remove(i);
        }
        n.pods -= 1;
        self.totals[class.index()] -= 1;
        true
    }

    /// Pods bound to `node` (0 for a node it does not know).
    pub fn pods_on(&self, node: usize) -> u32 {
        self.nodes.get(node).map_or(0, |n| n.pods)
    }

    /// Pods of `class` on `node`.
    pub fn count(&self, node: usize, class: PodClassId) -> u32 {
        self.on_node(node)
            .binary_search_by_key(&class, |(c, _)| *c)
            .map_or(0, |i| self.on_node(node)[i].1)
    }

    /// Pods of `class` on all nodes.
    pub fn total(&self, class: PodClassId) -> u64 {
        self.totals[class.index()]
    }

    pub(super) fn classes(&self) -> &[PodClass] {
        &self.classes
    }

    pub(super) fn class_total(&self, index: usize) -> u64 {
        self.totals[index]
    }

    /// (class, pods) on `node`, by class (none for a node it does not know).
    pub(super) fn on_node(&self, node: usize) -> &[(PodClassId, u32)] {
        self.nodes.get(node).map_or(&[], |n| &n.by_class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_are_counted_per_node_and_class() {
        let mut b = BoundPods::new(3);
        let web = PodScheduling {
            labels: [("app".to_string(), "web".to_string())].into(),
            ..PodScheduling::default()
        };
        let w = b.class("team-a", &web);
        assert_eq!(b.class("team-a", &web), w, "interned");
        let other_ns = b.class("team-b", &web);
        assert_ne!(other_ns, w);
        let plain = b.class("team-a", &PodScheduling::default());
        b.add(0, w);
        b.add(0, w);
        b.add(0, plain);
        b.add(2, other_ns);
        assert_eq!((b.pods_on(0), b.pods_on(1), b.pods_on(2)), (3, 0, 1));
        assert_eq!((b.count(0, w), b.total(w)), (2, 2));
        assert!(b.remove(0, w));
        assert!(!b.remove(1, w), "nothing to remove");
        assert_eq!((b.pods_on(0), b.count(0, w), b.total(w)), (2, 1, 1));
        assert!(b.remove(0, w));
        assert_eq!(b.on_node(0), &[(plain, 1)]);
        b.ensure_nodes(5);
        assert_eq!(b.node_count(), 5);
    }
}
