//! The file format of Kubernetes scheduling constraints, as serde types like those of
//! `scenario::raw` (`deny_unknown_fields`, a JSON schema for `pacsim schema`). Field names
//! are Kubernetes' own in snake case (`nodeSelector` is `node_selector`); enumerated values
//! are written as Kubernetes writes them (`NoSchedule`, `In`, `DoNotSchedule`).
//!
//! A host group carries [`RawNodeFields`] (`labels`, `taints`, `max_pods`); a pod workload
//! carries [`RawPodScheduling`] (`labels`, `node_selector`, `affinity`, `tolerations`,
//! `topology_spread`). For example:
//!
//! ```yaml
//! hosts:
//!   - { name: gpu, count: 4, cores: 32, mhz: 2600, memory: 512GiB,
//!       labels: { accelerator: nvidia }, taints: [ { key: gpu, value: "true", effect: NoSchedule } ] }
//! workloads:
//!   - kind: pod-group
//!     name: web
//!     labels: { app: web }
//!     node_selector: { accelerator: nvidia }
//!     tolerations: [ { key: gpu, operator: Exists } ]
//!     affinity:
//!       node_affinity:
//!         required:
//!           - match_expressions: [ { key: disk, operator: In, values: [ssd, nvme] } ]
//!       pod_anti_affinity:
//!         required:
//!           - { label_selector: { match_labels: { app: web } }, topology_key: kubernetes.io/hostname }
//!       pod_affinity:
//!         preferred:
//!           - { weight: 50, label_selector: { match_labels: { app: cache } }, topology_key: kubernetes.io/hostname }
//!     topology_spread:
//!       - { max_skew: 1, topology_key: kubernetes.io/hostname, when_unsatisfiable: DoNotSchedule,
//!           label_selector: { match_labels: { app: web } } }
//! ```
//!
//! A preferred term is written flat (`{ weight, label_selector, topology_key }`) rather
//! than Kubernetes' `{ weight, podAffinityTerm: { ... } }`.

use crate::scenario::raw::Scalar;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// A label (or taint) value as written: text, or a whole number (`tier: 1`) read back as
/// its decimal text. `true` and decimal numbers are refused, as Kubernetes refuses any
/// value that is not a string: YAML would read `1.10` as the number 1.1.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelValue(pub String);

impl<'de> Deserialize<'de> for LabelValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LabelValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a label value as text (quote values such as \"true\" or \"1.10\")")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LabelValue, E> {
                Ok(LabelValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LabelValue, E> {
                Ok(LabelValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LabelValue, E> {
                Ok(LabelValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for LabelValue {
    fn schema_name() -> Cow<'static, str> {
        "LabelValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A label value: up to 63 letters, digits, `-`, `_` or `.`, beginning and ending with a letter or digit, or empty.",
            "type": ["string", "integer"]
        })
    }
}

/// Labels as written: `{ app: web, tier: front }`.
pub type RawLabels = BTreeMap<String, LabelValue>;

/// The Kubernetes fields of a host group.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNodeFields {
    /// Node labels of every host of the group (`kubernetes.io/hostname` is added per host).
    #[serde(default)]
    pub labels: Option<RawLabels>,
    /// Node taints of every host of the group.
    #[serde(default)]
    pub taints: Option<Vec<RawTaint>>,
    /// Pods a host of the group takes (default 110, Kubernetes' per-node threshold).
    #[serde(default)]
    pub max_pods: Option<Scalar>,
}

/// `{ key, value, effect }`: `effect` is `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTaint {
    pub key: String,
    #[serde(default)]
    pub value: Option<LabelValue>,
    pub effect: String,
}

/// The Kubernetes scheduling fields of a pod workload.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPodScheduling {
    /// The pod's labels, which selectors of other pods (and its own) match.
    #[serde(default)]
    pub labels: Option<RawLabels>,
    /// Node labels the pod's node must have (`nodeSelector`).
    #[serde(default)]
    pub node_selector: Option<RawLabels>,
    #[serde(default)]
    pub affinity: Option<RawAffinity>,
    #[serde(default)]
    pub tolerations: Option<Vec<RawToleration>>,
    /// Topology spread constraints over hosts.
    #[serde(default)]
    pub topology_spread: Option<Vec<RawTopologySpread>>,
}

/// `{ key, operator, value, effect }`: `operator` is `Equal` (the default) or `Exists`;
/// an `Exists` toleration without a key tolerates every taint; without an effect, every
/// effect.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawToleration {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub value: Option<LabelValue>,
    #[serde(default)]
    pub effect: Option<String>,
}

/// Node affinity, pod affinity and pod anti-affinity.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAffinity {
    #[serde(default)]
    pub node_affinity: Option<RawNodeAffinity>,
    /// Pods to be on the same host as.
    #[serde(default)]
    pub pod_affinity: Option<RawPodAffinity>,
    /// Pods not to be on the same host as.
    #[serde(default)]
    pub pod_anti_affinity: Option<RawPodAffinity>,
}

/// `required`: node selector terms, at least one of which the node must match
/// (`requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNodeAffinity {
    pub required: Vec<RawNodeSelectorTerm>,
}

/// `{ match_expressions: [...] }`, all of which hold.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNodeSelectorTerm {
    pub match_expressions: Vec<RawNodeSelectorRequirement>,
}

/// `{ key, operator, values }`: `In` and `NotIn` take values, `Exists` and
/// `DoesNotExist` none.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNodeSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default)]
    pub values: Option<Vec<LabelValue>>,
}

/// Required terms (filters) and preferred terms with weights (scores).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPodAffinity {
    #[serde(default)]
    pub required: Vec<RawPodAffinityTerm>,
    #[serde(default)]
    pub preferred: Vec<RawWeightedPodAffinityTerm>,
}

/// `{ label_selector: { match_labels }, topology_key: kubernetes.io/hostname }`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPodAffinityTerm {
    pub label_selector: RawLabelSelector,
    /// Only `kubernetes.io/hostname`: the host is the simulator's one topology.
    pub topology_key: String,
}

/// A preferred term: `{ weight: 1..100, label_selector, topology_key }`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWeightedPodAffinityTerm {
    pub weight: Scalar,
    pub label_selector: RawLabelSelector,
    pub topology_key: String,
}

/// `{ match_labels: { app: web } }`; `{}` selects every pod of the namespace.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLabelSelector {
    #[serde(default)]
    pub match_labels: RawLabels,
}

/// A topology spread constraint over hosts.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTopologySpread {
    /// How far the matching pods on one host may exceed the fewest on any host (>= 1).
    pub max_skew: Scalar,
    /// Only `kubernetes.io/hostname`.
    pub topology_key: String,
    /// `DoNotSchedule` (a filter) or `ScheduleAnyway` (a score).
    pub when_unsatisfiable: String,
    /// The pods counted.
    pub label_selector: RawLabelSelector,
    /// With fewer eligible hosts than this, the fewest is taken as 0 (DoNotSchedule only).
    #[serde(default)]
    pub min_domains: Option<Scalar>,
    /// `Honor` (default): only hosts passing the pod's node affinity count; `Ignore`.
    #[serde(default)]
    pub node_affinity_policy: Option<String>,
    /// `Ignore` (default): tainted and cordoned hosts count; `Honor`: only hosts whose
    /// taints the pod tolerates.
    #[serde(default)]
    pub node_taints_policy: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::kube::validate::{node_fields, pod_scheduling};
    use crate::scenario::kube::{TaintEffect, WhenUnsatisfiable, HOSTNAME_KEY};
    use crate::scenario::yaml::parse_yaml;

    fn from_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        let v = parse_yaml(text).map_err(|d| d.message)?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn the_documented_example_reads_and_checks() {
        let host: RawNodeFields = from_yaml(
            "labels: { accelerator: nvidia, tier: 1 }\ntaints: [ { key: gpu, value: \"true\", effect: NoSchedule } ]\nmax_pods: 250\n",
        )
        .unwrap();
        let mut d = Vec::new();
        let node = node_fields(&host, "clusters[0].hosts[0]", &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(node.labels["tier"], "1");
        assert_eq!(node.taints[0].effect, TaintEffect::NoSchedule);
        assert_eq!(node.max_pods, 250);

        let pod: RawPodScheduling = from_yaml(
            r#"
labels: { app: web }
node_selector: { accelerator: nvidia }
tolerations: [ { key: gpu, operator: Exists } ]
affinity:
  node_affinity:
    required:
      - match_expressions: [ { key: disk, operator: In, values: [ssd, nvme] } ]
  pod_anti_affinity:
    required:
      - { label_selector: { match_labels: { app: web } }, topology_key: kubernetes.io/hostname }
  pod_affinity:
    preferred:
      - { weight: 50, label_selector: { match_labels: { app: cache } }, topology_key: kubernetes.io/hostname }
topology_spread:
  - { max_skew: 1, topology_key: kubernetes.io/hostname, when_unsatisfiable: DoNotSchedule,
      label_selector: { match_labels: { app: web } } }
"#,
        )
        .unwrap();
        let spec = pod_scheduling(&pod, "workloads[0]", &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(spec.pod_anti_affinity.required.len(), 1);
        assert_eq!(spec.pod_affinity.preferred[0].weight, 50);
        assert_eq!(
            spec.node_affinity[0].match_expressions[0].values,
            ["ssd", "nvme"]
        );
        assert_eq!(
            spec.topology_spread[0].when_unsatisfiable,
            WhenUnsatisfiable::DoNotSchedule
        );
        assert!(spec.node_affinity_matches(
            &[
                ("accelerator".to_string(), "nvidia".to_string()),
                ("disk".to_string(), "nvme".to_string()),
                (HOSTNAME_KEY.to_string(), "gpu-0".to_string()),
            ]
            .into()
        ));
    }

    #[test]
    fn unquoted_booleans_and_decimals_are_refused() {
        for text in ["labels: { gpu: true }\n", "labels: { version: 1.10 }\n"] {
            let e = from_yaml::<RawPodScheduling>(text).unwrap_err();
            assert!(e.contains("a label value as text"), "{text}: {e}");
        }
        let e = from_yaml::<RawPodScheduling>("affinity: { pod_afinity: {} }\n").unwrap_err();
        assert!(e.contains("unknown field `pod_afinity`"), "{e}");
    }

    #[test]
    fn the_types_have_a_json_schema() {
        let s = serde_json::to_string(&schemars::schema_for!(RawPodScheduling)).unwrap();
        for field in [
            "node_selector",
            "match_labels",
            "topology_key",
            "when_unsatisfiable",
            "LabelValue",
        ] {
            assert!(s.contains(field), "{field}");
        }
        let s = serde_json::to_string(&schemars::schema_for!(RawNodeFields)).unwrap();
        assert!(s.contains("max_pods") && s.contains("effect"));
    }
}
