//! The explanation of one decision, for `--explain`: per node (in node order) either the
//! plugin that filtered it with kube-scheduler's messages, or its scores, as
//! kube-scheduler-simulator records them in a pod's `filter-result` and `score-result`
//! annotations; and, when no node is feasible, the message kube-scheduler puts in the
//! pod's `FailedScheduling` event. It serialises to one JSON object:
//!
//! ```json
//! {"feasible":1,
//!  "nodes":{"esx-0":{"scores":{"InterPodAffinity":0,"TaintToleration":100},"score":300},
//!           "esx-1":{"filtered":"TaintToleration","reasons":["node(s) had untolerated taint {gpu: true}"]}}}
//! ```

use super::{Evaluation, KubeNode, Verdict};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::collections::BTreeMap;

/// What happened to each node for one pod.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    /// How many nodes are feasible.
    pub feasible: usize,
    /// kube-scheduler's `FitError` text when none is: `0/3 nodes are available: 1
    /// Insufficient cpu, 2 node(s) had untolerated taint {gpu: true}.`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub nodes: NodeResults,
}

/// Node name -> result, written as a JSON object in node order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeResults(pub Vec<(String, NodeResult)>);

impl Serialize for NodeResults {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (name, r) in &self.0 {
            m.serialize_entry(name, r)?;
        }
        m.end()
    }
}

/// One node's result.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum NodeResult {
    /// Normalised scores by plugin, and their sum at the default profile's weights.
    Feasible {
        scores: BTreeMap<&'static str, i64>,
        score: i64,
    },
    /// The first failing plugin and its messages.
    Filtered {
        filtered: &'static str,
        reasons: Vec<String>,
    },
}

impl Evaluation {
    /// The explanation of this decision; `nodes` are the nodes it was made over.
    pub fn explain(&self, nodes: &[KubeNode]) -> Explanation {
        let results = self
            .verdicts
            .iter()
            .zip(nodes)
            .map(|(v, node)| {
                let r = match v {
                    Verdict::Feasible(s) => NodeResult::Feasible {
                        scores: s.by_plugin().into_iter().collect(),
                        score: s.weighted(),
                    },
                    Verdict::Filtered(f) => NodeResult::Filtered {
                        filtered: f.plugin().name(),
                        reasons: f.reasons(node),
                    },
                };
                (node.name.to_string(), r)
            })
            .collect();
        let feasible = self.feasible().count();
        Explanation {
            feasible,
            message: (feasible == 0).then(|| self.message(nodes)),
            nodes: NodeResults(results),
        }
    }

    /// kube-scheduler's `FitError` text: `0/N nodes are available: ` and, sorted as
    /// strings, `<count> <reason>` for each reason of the filtered nodes
    /// (`framework.FitError.Error`; preemption is not modelled, so its part is left out).
    pub fn message(&self, nodes: &[KubeNode]) -> String {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (v, node) in self.verdicts.iter().zip(nodes) {
            if let Verdict::Filtered(f) = v {
                for r in f.reasons(node) {
                    *counts.entry(r).or_default() += 1;
                }
            }
        }
        let mut parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
        parts.sort();
        let feasible = self.feasible().count();
        if parts.is_empty() {
            format!("{feasible}/{} nodes are available.", self.verdicts.len())
        } else {
            format!(
                "{feasible}/{} nodes are available: {}.",
                self.verdicts.len(),
                parts.join(", ")
            )
        }
    }
}
