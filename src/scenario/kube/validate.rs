//! Raw Kubernetes fields -> checked [`PodScheduling`] and [`NodeTemplate`], recording
//! every problem as a [`Diagnostic`] with its field path and a hint, as
//! `scenario::validate` does.
//!
//! Each function takes the path of the value it checks and a `&mut Vec<Diagnostic>`
//! (`V::diags` in the scenario validator), and always returns a value: entries with
//! problems are left out of it, and the caller fails the scenario when any diagnostic was
//! recorded. Label keys and values follow Kubernetes' syntax (apimachinery
//! `IsQualifiedName` and `IsValidLabelValue`): a name of at most 63 letters, digits,
//! `-`, `_` or `.` that begins and ends with a letter or digit, optionally after a DNS
//! subdomain prefix of at most 253 characters and a `/`; a value is empty or such a name.

use super::raw::*;
use super::*;
use crate::scenario::diagnostic::{did_you_mean, Diagnostic};
use crate::scenario::raw::Scalar;
use crate::scenario::source::{child_index, child_key};
use crate::scenario::units;

/// Most pods one host may be given (`max_pods`): a sanity bound far above any
/// Kubernetes node (the kubelet's default is 110).
pub const MAX_PODS_LIMIT: u64 = 100_000;

/// Largest `max_skew` and `min_domains`: Kubernetes' int32 fields.
const MAX_I32: u64 = i32::MAX as u64;

/// Preferred term weights are 1 to 100 (Kubernetes API validation of
/// `WeightedPodAffinityTerm.weight`).
pub const MAX_WEIGHT: u64 = 100;

const KEY_HINT: &str = "a key is a name of at most 63 letters, digits, `-`, `_` or `.` that begins and ends with a letter or digit, optionally after a DNS prefix and `/` (`example.com/tier`), as in Kubernetes";
const VALUE_HINT: &str = "a value is empty or at most 63 letters, digits, `-`, `_` or `.`, beginning and ending with a letter or digit, as in Kubernetes";

fn err(diags: &mut Vec<Diagnostic>, path: &str, msg: impl Into<String>, hint: impl Into<String>) {
    diags.push(Diagnostic::new(path, msg).hint(hint));
}

/// What is wrong with a name segment (the part after an optional `prefix/`), if anything.
fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".into());
    }
    let n = name.chars().count();
    if n > 63 {
        return Some(format!("the name is {n} characters long, above 63"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!("`{}` is not allowed in it", c.escape_debug()));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some("it must begin and end with a letter or digit".into());
    }
    None
}

/// What is wrong with a DNS subdomain prefix, if anything.
fn prefix_problem(prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return Some("the prefix before `/` is empty".into());
    }
    if prefix.len() > 253 {
        return Some(format!(
            "the prefix is {} characters long, above 253",
            prefix.len()
        ));
    }
    for part in prefix.split('.') {
        let ok = !part.is_empty()
            && part.len() <= 63
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !part.starts_with('-')
            && !part.ends_with('-');
        if !ok {
            return Some(format!(
                "the prefix `{prefix}` is not a DNS subdomain (lower-case letters, digits and `-` in parts separated by `.`)"
            ));
        }
    }
    None
}

/// What is wrong with a label (or taint, or toleration) key, if anything.
pub fn key_problem(key: &str) -> Option<String> {
    if key.is_empty() {
        return Some("the key is empty".into());
    }
    match key.split_once('/') {
        Some((prefix, name)) => {
            if name.contains('/') {
                Some("it has more than one `/`".into())
            } else {
                prefix_problem(prefix).or_else(|| name_problem(name))
            }
        }
        None => name_problem(key),
    }
}

/// What is wrong with a label (or taint) value, if anything.
pub fn value_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        None
    } else {
        name_problem(value)
    }
}

fn check_key(diags: &mut Vec<Diagnostic>, path: &str, what: &str, key: &str, at_key: bool) -> bool {
    match key_problem(key) {
        None => true,
        Some(p) => {
            let d = Diagnostic::new(path, format!("{what} key `{key}` is not valid: {p}"))
                .hint(KEY_HINT);
            diags.push(if at_key { d.at_key() } else { d });
            false
        }
    }
}

fn check_value(diags: &mut Vec<Diagnostic>, path: &str, what: &str, value: &str) -> bool {
    match value_problem(value) {
        None => true,
        Some(p) => {
            err(
                diags,
                path,
                format!("{what} value `{value}` is not valid: {p}"),
                VALUE_HINT,
            );
            false
        }
    }
}

/// Labels (or a node selector, or `match_labels`) at `path`; `what` names them in
/// messages ("pod label", "node selector").
pub fn labels(raw: &RawLabels, path: &str, what: &str, diags: &mut Vec<Diagnostic>) -> Labels {
    let mut out = Labels::new();
    for (k, v) in raw {
        let p = child_key(path, k);
        let key_ok = check_key(diags, &p, what, k, true);
        let value_ok = check_value(diags, &p, what, &v.0);
        if key_ok && value_ok {
            out.insert(k.clone(), v.0.clone());
        }
    }
    out
}

/// A whole number from `min` to `max` at `path`.
fn whole(
    diags: &mut Vec<Diagnostic>,
    path: &str,
    s: &Scalar,
    what: &str,
    min: u64,
    max: u64,
    hint: &str,
) -> Option<u64> {
    let v = match units::parse_number(&s.0) {
        Ok(v) => v,
        Err(m) => {
            let (msg, hint) = m.split_once("; ").unwrap_or((&m, ""));
            err(diags, path, msg, hint);
            return None;
        }
    };
    if v.fract() != 0.0 || v < min as f64 || v > max as f64 {
        err(
            diags,
            path,
            format!(
                "{what} is {}; it must be a whole number from {min} to {max}",
                s.0
            ),
            hint,
        );
        return None;
    }
    Some(v as u64)
}

/// One of `names` at `path`, with a did-you-mean when it is not.
fn one_of<T: Copy>(
    diags: &mut Vec<Diagnostic>,
    path: &str,
    what: &str,
    given: &str,
    choices: &[(&'static str, T)],
) -> Option<T> {
    if let Some((_, t)) = choices.iter().find(|(n, _)| *n == given) {
        return Some(*t);
    }
    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    let hint = match did_you_mean(given, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("use {}", list(&names)),
    };
    err(diags, path, format!("unknown {what} `{given}`"), hint);
    None
}

/// `a`, `b` or `c`.
fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

const EFFECTS: [(&str, TaintEffect); 3] = [
    ("NoSchedule", TaintEffect::NoSchedule),
    ("PreferNoSchedule", TaintEffect::PreferNoSchedule),
    ("NoExecute", TaintEffect::NoExecute),
];

fn effect(diags: &mut Vec<Diagnostic>, path: &str, given: &str) -> Option<TaintEffect> {
    one_of(diags, path, "taint effect", given, &EFFECTS)
}

/// The Kubernetes fields of a host group at `path` (the host group's path).
pub fn node_fields(raw: &RawNodeFields, path: &str, diags: &mut Vec<Diagnostic>) -> NodeTemplate {
    let lp = child_key(path, "labels");
    let labels = match &raw.labels {
        Some(l) => labels(l, &lp, "node label", diags),
        None => Labels::new(),
    };
    let mut out = NodeTemplate {
        labels,
        ..NodeTemplate::default()
    };
    if out.labels.remove(HOSTNAME_KEY).is_some() {
        diags.push(
            Diagnostic::new(
                child_key(&lp, HOSTNAME_KEY),
                format!("`{HOSTNAME_KEY}` is set on each host to the host's name"),
            )
            .at_key()
            .hint(format!(
                "remove it; to pin pods to one host use `node_selector: {{ {HOSTNAME_KEY}: esx-3 }}`"
            )),
        );
    }
    if let Some(ts) = &raw.taints {
        out.taints = taints(ts, &child_key(path, "taints"), diags);
    }
    if let Some(m) = &raw.max_pods {
        if let Some(m) = whole(
            diags,
            &child_key(path, "max_pods"),
            m,
            "`max_pods`",
            1,
            MAX_PODS_LIMIT,
            "Kubernetes' default is 110 pods per node",
        ) {
            out.max_pods = m as u32;
        }
    }
    out
}

/// Node taints at `path` (a list); a key and effect given twice is an error, as in
/// Kubernetes.
pub fn taints(raw: &[RawTaint], path: &str, diags: &mut Vec<Diagnostic>) -> Vec<Taint> {
    let mut out: Vec<(usize, Taint)> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let tp = child_index(path, i);
        let key_ok = check_key(diags, &child_key(&tp, "key"), "taint", &t.key, false);
        let value = t.value.as_ref().map_or("", |v| v.0.as_str());
        let value_ok = check_value(diags, &child_key(&tp, "value"), "taint", value);
        let effect = effect(diags, &child_key(&tp, "effect"), &t.effect);
        let (true, true, Some(effect)) = (key_ok, value_ok, effect) else {
            continue;
        };
        if let Some((first, _)) = out
            .iter()
            .find(|(_, o)| o.key == t.key && o.effect == effect)
        {
            err(
                diags,
                &tp,
                format!("the taint `{}:{}` is given twice", t.key, effect.name()),
                format!(
                    "the first is {}; a node has one taint per key and effect",
                    child_index(path, *first)
                ),
            );
            continue;
        }
        out.push((i, Taint::new(&t.key, value, effect)));
    }
    out.into_iter().map(|(_, t)| t).collect()
}

/// A pod's tolerations at `path` (a list).
pub fn tolerations(
    raw: &[RawToleration],
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Toleration> {
    let mut out = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let tp = child_index(path, i);
        let operator = match t.operator.as_deref() {
            None => Some(TolerationOperator::Equal),
            Some(o) => one_of(
                diags,
                &child_key(&tp, "operator"),
                "toleration operator",
                o,
                &[
                    ("Equal", TolerationOperator::Equal),
                    ("Exists", TolerationOperator::Exists),
                ],
            ),
        };
        let key = t.key.as_deref().unwrap_or("");
        let value = t.value.as_ref().map_or("", |v| v.0.as_str());
        let mut ok = operator.is_some();
        if key.is_empty() {
            if operator == Some(TolerationOperator::Equal) {
                err(
                    diags,
                    &tp,
                    "a toleration without a key must have `operator: Exists`",
                    "`{ operator: Exists }` tolerates every taint; to tolerate one, give its `key`",
                );
                ok = false;
            }
        } else {
            ok &= check_key(diags, &child_key(&tp, "key"), "toleration", key, false);
        }
        if operator == Some(TolerationOperator::Exists) && !value.is_empty() {
            err(
                diags,
                &child_key(&tp, "value"),
                "`operator: Exists` matches any value, so it takes none",
                "remove `value`, or write `operator: Equal` to match this value only",
            );
            ok = false;
        } else {
            ok &= check_value(diags, &child_key(&tp, "value"), "toleration", value);
        }
        let effect = match t.effect.as_deref() {
            None => Some(None),
            Some(e) => effect(diags, &child_key(&tp, "effect"), e).map(Some),
        };
        if let (true, Some(operator), Some(effect)) = (ok, operator, effect) {
            out.push(Toleration {
                key: key.to_string(),
                operator,
                value: value.to_string(),
                effect,
            });
        }
    }
    out
}

/// The topology key of a term or constraint at `path`: only [`HOSTNAME_KEY`].
fn topology_key(diags: &mut Vec<Diagnostic>, path: &str, key: &str) -> bool {
    if key == HOSTNAME_KEY {
        return true;
    }
    let hint = match did_you_mean(key, [HOSTNAME_KEY]) {
        Some(s) if key.contains("host") => format!("did you mean `{s}`?"),
        _ => format!("write `topology_key: {HOSTNAME_KEY}`"),
    };
    err(
        diags,
        path,
        format!(
            "topology key `{key}` is not supported: in a Supervisor cluster every node is an ESXi host and the simulator models no zones or racks, so the host (`{HOSTNAME_KEY}`) is the only topology"
        ),
        hint,
    );
    false
}

fn selector(raw: &RawLabelSelector, path: &str, diags: &mut Vec<Diagnostic>) -> LabelSelector {
    LabelSelector {
        match_labels: labels(
            &raw.match_labels,
            &child_key(path, "match_labels"),
            "label selector",
            diags,
        ),
    }
}

fn pod_affinity(raw: &RawPodAffinity, path: &str, diags: &mut Vec<Diagnostic>) -> PodAffinity {
    let mut out = PodAffinity::default();
    let rp = child_key(path, "required");
    for (i, t) in raw.required.iter().enumerate() {
        let tp = child_index(&rp, i);
        let sel = selector(&t.label_selector, &child_key(&tp, "label_selector"), diags);
        if topology_key(diags, &child_key(&tp, "topology_key"), &t.topology_key) {
            out.required.push(PodAffinityTerm {
                label_selector: sel,
            });
        }
    }
    let pp = child_key(path, "preferred");
    for (i, t) in raw.preferred.iter().enumerate() {
        let tp = child_index(&pp, i);
        let weight = whole(
            diags,
            &child_key(&tp, "weight"),
            &t.weight,
            "the weight",
            1,
            MAX_WEIGHT,
            "a preferred term adds its weight to the score of each host it is met on",
        );
        let sel = selector(&t.label_selector, &child_key(&tp, "label_selector"), diags);
        let key_ok = topology_key(diags, &child_key(&tp, "topology_key"), &t.topology_key);
        if let (Some(weight), true) = (weight, key_ok) {
            out.preferred.push(WeightedPodAffinityTerm {
                weight: weight as u32,
                term: PodAffinityTerm {
                    label_selector: sel,
                },
            });
        }
    }
    out
}

fn node_affinity(
    raw: &RawNodeAffinity,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<NodeSelectorTerm> {
    let rp = child_key(path, "required");
    if raw.required.is_empty() {
        err(
            diags,
            &rp,
            "`required` lists no node selector terms",
            "add a term such as `- match_expressions: [ { key: disk, operator: In, values: [ssd] } ]`, or remove `node_affinity`",
        );
    }
    let ops: Vec<(&'static str, NodeSelectorOperator)> = NodeSelectorOperator::ALL
        .iter()
        .map(|o| (o.name(), *o))
        .collect();
    let mut terms = Vec::new();
    for (i, term) in raw.required.iter().enumerate() {
        let tp = child_index(&rp, i);
        let ep = child_key(&tp, "match_expressions");
        if term.match_expressions.is_empty() {
            err(
                diags,
                &ep,
                "a node selector term without expressions matches no node",
                "add an expression such as `{ key: disk, operator: In, values: [ssd] }`, or remove the term",
            );
            continue;
        }
        let mut reqs = Vec::new();
        for (j, r) in term.match_expressions.iter().enumerate() {
            let xp = child_index(&ep, j);
            let key_ok = check_key(
                diags,
                &child_key(&xp, "key"),
                "node affinity",
                &r.key,
                false,
            );
            let op = if matches!(r.operator.as_str(), "Gt" | "Lt") {
                err(
                    diags,
                    &child_key(&xp, "operator"),
                    format!("operator `{}` is not supported", r.operator),
                    "use In, NotIn, Exists or DoesNotExist",
                );
                None
            } else {
                one_of(
                    diags,
                    &child_key(&xp, "operator"),
                    "node selector operator",
                    &r.operator,
                    &ops,
                )
            };
            let vp = child_key(&xp, "values");
            let mut values = Vec::new();
            let mut values_ok = true;
            for (k, v) in r.values.iter().flatten().enumerate() {
                values_ok &= check_value(diags, &child_index(&vp, k), "node affinity", &v.0);
                values.push(v.0.clone());
            }
            match op {
                Some(o) if o.takes_values() && values.is_empty() => {
                    err(
                        diags,
                        if r.values.is_some() { &vp } else { &xp },
                        format!("operator `{}` needs at least one value", o.name()),
                        "add e.g. `values: [ssd, nvme]`",
                    );
                    values_ok = false;
                }
                Some(o) if !o.takes_values() && !values.is_empty() => {
                    err(
                        diags,
                        &vp,
                        format!("operator `{}` takes no values", o.name()),
                        "remove `values`, or use `In` / `NotIn` to compare values",
                    );
                    values_ok = false;
                }
                _ => {}
            }
            if let (true, Some(operator), true) = (key_ok, op, values_ok) {
                reqs.push(NodeSelectorRequirement {
                    key: r.key.clone(),
                    operator,
                    values,
                });
            }
        }
        // A term with a bad expression is dropped whole: fewer expressions would match
        // more nodes than the file says.
        if reqs.len() == term.match_expressions.len() {
            terms.push(NodeSelectorTerm {
                match_expressions: reqs,
            });
        }
    }
    terms
}

/// Topology spread constraints at `path` (a list). As in Kubernetes, one topology key
/// takes at most one constraint per `when_unsatisfiable`.
pub fn topology_spread(
    raw: &[RawTopologySpread],
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<TopologySpreadConstraint> {
    let whens = [
        ("DoNotSchedule", WhenUnsatisfiable::DoNotSchedule),
        ("ScheduleAnyway", WhenUnsatisfiable::ScheduleAnyway),
    ];
    let policies = [
        ("Honor", InclusionPolicy::Honor),
        ("Ignore", InclusionPolicy::Ignore),
    ];
    let mut out: Vec<(usize, TopologySpreadConstraint)> = Vec::new();
    for (i, c) in raw.iter().enumerate() {
        let cp = child_index(path, i);
        let skew = whole(
            diags,
            &child_key(&cp, "max_skew"),
            &c.max_skew,
            "`max_skew`",
            1,
            MAX_I32,
            "`max_skew: 1` lets a host hold at most one matching pod more than the emptiest",
        );
        let key_ok = topology_key(diags, &child_key(&cp, "topology_key"), &c.topology_key);
        let when = one_of(
            diags,
            &child_key(&cp, "when_unsatisfiable"),
            "`when_unsatisfiable`",
            &c.when_unsatisfiable,
            &whens,
        );
        let sel = selector(&c.label_selector, &child_key(&cp, "label_selector"), diags);
        let min_domains = match &c.min_domains {
            None => Some(1),
            Some(m) => {
                let v = whole(
                    diags,
                    &child_key(&cp, "min_domains"),
                    m,
                    "`min_domains`",
                    1,
                    MAX_I32,
                    "with fewer eligible hosts than this, the emptiest counts as 0 pods",
                );
                if when == Some(WhenUnsatisfiable::ScheduleAnyway) {
                    err(
                        diags,
                        &child_key(&cp, "min_domains"),
                        "`min_domains` applies to `DoNotSchedule` constraints only",
                        "remove it, or write `when_unsatisfiable: DoNotSchedule`",
                    );
                    None
                } else {
                    v
                }
            }
        };
        let mut policy = |field: &str, given: &Option<String>, default| match given {
            None => Some(default),
            Some(g) => one_of(
                diags,
                &child_key(&cp, field),
                &format!("`{field}`"),
                g,
                &policies,
            ),
        };
        let affinity_policy = policy(
            "node_affinity_policy",
            &c.node_affinity_policy,
            InclusionPolicy::Honor,
        );
        let taints_policy = policy(
            "node_taints_policy",
            &c.node_taints_policy,
            InclusionPolicy::Ignore,
        );
        let (Some(skew), true, Some(when), Some(min_domains), Some(ap), Some(tp)) = (
            skew,
            key_ok,
            when,
            min_domains,
            affinity_policy,
            taints_policy,
        ) else {
            continue;
        };
        if let Some((first, _)) = out.iter().find(|(_, o)| o.when_unsatisfiable == when) {
            err(
                diags,
                &cp,
                format!(
                    "a second `{}` constraint over `{HOSTNAME_KEY}`",
                    whens.iter().find(|(_, w)| *w == when).map_or("", |(n, _)| n)
                ),
                format!(
                    "Kubernetes allows one constraint per topology key and `when_unsatisfiable`; the first is {}",
                    child_index(path, *first)
                ),
            );
            continue;
        }
        out.push((
            i,
            TopologySpreadConstraint {
                max_skew: skew as u32,
                when_unsatisfiable: when,
                label_selector: sel,
                min_domains: min_domains as u32,
                node_affinity_policy: ap,
                node_taints_policy: tp,
            },
        ));
    }
    out.into_iter().map(|(_, c)| c).collect()
}

/// The Kubernetes scheduling fields of a pod workload at `path` (the workload's path).
pub fn pod_scheduling(
    raw: &RawPodScheduling,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> PodScheduling {
    let mut out = PodScheduling::default();
    if let Some(l) = &raw.labels {
        out.labels = labels(l, &child_key(path, "labels"), "pod label", diags);
    }
    if let Some(l) = &raw.node_selector {
        out.node_selector = labels(l, &child_key(path, "node_selector"), "node selector", diags);
    }
    if let Some(a) = &raw.affinity {
        let ap = child_key(path, "affinity");
        if let Some(n) = &a.node_affinity {
            out.node_affinity = node_affinity(n, &child_key(&ap, "node_affinity"), diags);
        }
        if let Some(p) = &a.pod_affinity {
            out.pod_affinity = pod_affinity(p, &child_key(&ap, "pod_affinity"), diags);
        }
        if let Some(p) = &a.pod_anti_affinity {
            out.pod_anti_affinity = pod_affinity(p, &child_key(&ap, "pod_anti_affinity"), diags);
        }
    }
    if let Some(t) = &raw.tolerations {
        out.tolerations = tolerations(t, &child_key(path, "tolerations"), diags);
    }
    if let Some(t) = &raw.topology_spread {
        out.topology_spread = topology_spread(t, &child_key(path, "topology_spread"), diags);
    }
    out
}

/// A host group as [`check_schedulable`] sees it: hosts `<name>-0` to `<name>-<count-1>`.
#[derive(Clone, Copy, Debug)]
pub struct HostGroupNodes<'a> {
    pub name: &'a str,
    pub count: u32,
    pub node: &'a NodeTemplate,
}

/// Records an error at `path` when no host of any group could ever take the pod: none
/// passes its node selector and node affinity with taints it tolerates (the static part of
/// kube-scheduler's filters; resources, pods and readiness change during a run). Returns
/// whether some host could.
pub fn check_schedulable(
    pod: &PodScheduling,
    groups: &[HostGroupNodes],
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    // Why each group fails, for the hint.
    let mut why: Vec<String> = Vec::new();
    for g in groups {
        let matches = if pod.mentions_hostname() {
            (0..g.count)
                .any(|i| pod.node_affinity_matches(&g.node.labels_for(&format!("{}-{i}", g.name))))
        } else {
            pod.node_affinity_matches(&g.node.labels)
        };
        if !matches {
            why.push(format!(
                "`{}` hosts do not match the node selector or node affinity",
                g.name
            ));
            continue;
        }
        match g.node.untolerated(&pod.tolerations) {
            Some(t) => why.push(format!(
                "`{}` hosts have the taint {{{}: {}}} ({}), which the pods do not tolerate",
                g.name,
                t.key,
                t.value,
                t.effect.name()
            )),
            None => return true,
        }
    }
    let shown = why.len().min(3);
    let more = if why.len() > shown {
        format!("; and {} more groups", why.len() - shown)
    } else {
        String::new()
    };
    err(
        diags,
        path,
        "no host can ever take these pods: none matches their node selector and node affinity with taints they tolerate",
        format!("{}{more}", why[..shown].join("; ")),
    );
    false
}

/// A pod workload as [`check_affinity_targets`] sees it.
#[derive(Clone, Copy, Debug)]
pub struct PodWorkload<'a> {
    /// The workload's path (`workloads[3]`).
    pub path: &'a str,
    pub namespace: &'a str,
    pub spec: &'a PodScheduling,
}

/// Records an error for every workload whose required pod affinity no pod of the scenario
/// could ever satisfy: no workload of its namespace (itself included) has labels matching
/// all its terms, so kube-scheduler would keep its pods Pending for ever (the exception
/// for the first pod of a group needs the pod's own labels to match). Returns whether
/// every workload passed.
pub fn check_affinity_targets(pods: &[PodWorkload], diags: &mut Vec<Diagnostic>) -> bool {
    let mut ok = true;
    for p in pods {
        let terms = &p.spec.pod_affinity.required;
        if terms.is_empty() {
            continue;
        }
        let satisfiable = pods.iter().any(|q| {
            q.namespace == p.namespace
                && terms
                    .iter()
                    .all(|t| t.label_selector.matches(&q.spec.labels))
        });
        if !satisfiable {
            ok = false;
            err(
                diags,
                &child_key(&child_key(&child_key(p.path, "affinity"), "pod_affinity"), "required"),
                format!(
                    "no pod of namespace `{}` has labels matching all these required pod affinity terms, so these pods could never be scheduled",
                    p.namespace
                ),
                "give these pods (or another workload of the namespace) labels that the terms select; the first pod of a group may start anywhere only when its own labels match",
            );
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages and hints of the diagnostics, by path.
    fn problems(diags: &[Diagnostic]) -> Vec<(String, String, String)> {
        diags
            .iter()
            .map(|d| {
                (
                    d.path.clone(),
                    d.message.clone(),
                    d.hint.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    fn raw_labels(pairs: &[(&str, &str)]) -> RawLabels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), LabelValue(v.to_string())))
            .collect()
    }

    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).expect("test input parses")
    }

    #[test]
    fn label_syntax_follows_kubernetes() {
        for ok in [
            "app",
            "app.kubernetes.io/name",
            "example.com/tier",
            "a",
            "A_b-c.9",
            &"x".repeat(63),
        ] {
            assert_eq!(key_problem(ok), None, "{ok}");
        }
        let cases = [
            ("", "the key is empty"),
            ("-app", "it must begin and end with a letter or digit"),
            ("app_", "it must begin and end with a letter or digit"),
            ("app web", "` ` is not allowed in it"),
            ("a/b/c", "it has more than one `/`"),
            ("/app", "the prefix before `/` is empty"),
            ("Example.com/app", "the prefix `Example.com` is not a DNS subdomain (lower-case letters, digits and `-` in parts separated by `.`)"),
            ("example..com/app", "the prefix `example..com` is not a DNS subdomain (lower-case letters, digits and `-` in parts separated by `.`)"),
            ("example.com/", "the name is empty"),
        ];
        for (key, problem) in cases {
            assert_eq!(key_problem(key).as_deref(), Some(problem), "{key}");
        }
        assert_eq!(
            key_problem(&"x".repeat(64)).as_deref(),
            Some("the name is 64 characters long, above 63")
        );
        assert_eq!(value_problem(""), None);
        assert_eq!(value_problem("v1.2-rc_3"), None);
        assert_eq!(
            value_problem("a/b").as_deref(),
            Some("`/` is not allowed in it")
        );
    }

    #[test]
    fn bad_labels_are_reported_at_their_key_or_value() {
        let mut d = Vec::new();
        let l = labels(
            &raw_labels(&[("app", "web"), ("bad key", "x"), ("tier", "-front")]),
            "workloads[0].labels",
            "pod label",
            &mut d,
        );
        assert_eq!(l.len(), 1);
        assert_eq!(
            problems(&d),
            vec![
                (
                    "workloads[0].labels.bad key".to_string(),
                    "pod label key `bad key` is not valid: ` ` is not allowed in it".to_string(),
                    KEY_HINT.to_string()
                ),
                (
                    "workloads[0].labels.tier".to_string(),
                    "pod label value `-front` is not valid: it must begin and end with a letter or digit".to_string(),
                    VALUE_HINT.to_string()
                ),
            ]
        );
        assert!(d[0].at_key && !d[1].at_key);
    }

    #[test]
    fn host_groups_get_labels_taints_and_max_pods() {
        let raw: RawNodeFields = parse(
            r#"{ "labels": { "disk": "ssd", "kubernetes.io/hostname": "x" },
                 "taints": [ { "key": "gpu", "value": "true", "effect": "NoSchedule" },
                             { "key": "gpu", "effect": "noschedule" },
                             { "key": "gpu", "value": "false", "effect": "NoSchedule" } ],
                 "max_pods": 0 }"#,
        );
        let mut d = Vec::new();
        let t = node_fields(&raw, "clusters[0].hosts[0]", &mut d);
        assert_eq!(t.labels.len(), 1);
        assert_eq!(
            t.taints,
            vec![Taint::new("gpu", "true", TaintEffect::NoSchedule)]
        );
        assert_eq!(t.max_pods, DEFAULT_MAX_PODS);
        assert_eq!(
            problems(&d),
            vec![
                (
                    "clusters[0].hosts[0].labels.kubernetes.io/hostname".to_string(),
                    "`kubernetes.io/hostname` is set on each host to the host's name".to_string(),
                    "remove it; to pin pods to one host use `node_selector: { kubernetes.io/hostname: esx-3 }`".to_string()
                ),
                (
                    "clusters[0].hosts[0].taints[1].effect".to_string(),
                    "unknown taint effect `noschedule`".to_string(),
                    "did you mean `NoSchedule`?".to_string()
                ),
                (
                    "clusters[0].hosts[0].taints[2]".to_string(),
                    "the taint `gpu:NoSchedule` is given twice".to_string(),
                    "the first is clusters[0].hosts[0].taints[0]; a node has one taint per key and effect".to_string()
                ),
                (
                    "clusters[0].hosts[0].max_pods".to_string(),
                    "`max_pods` is 0; it must be a whole number from 1 to 100000".to_string(),
                    "Kubernetes' default is 110 pods per node".to_string()
                ),
            ]
        );
    }

    #[test]
    fn tolerations_are_checked_like_kubernetes() {
        let raw: Vec<RawToleration> = parse(
            r#"[ { "operator": "Exists" },
                 { "key": "gpu", "value": "true", "effect": "NoSchedule" },
                 { "value": "true" },
                 { "key": "gpu", "operator": "Exist" },
                 { "key": "gpu", "operator": "Exists", "value": "true" },
                 { "key": "gpu", "effect": "NoExecut" } ]"#,
        );
        let mut d = Vec::new();
        let t = tolerations(&raw, "w.tolerations", &mut d);
        assert_eq!(
            t,
            vec![
                Toleration {
                    key: String::new(),
                    operator: TolerationOperator::Exists,
                    value: String::new(),
                    effect: None
                },
                Toleration {
                    key: "gpu".into(),
                    operator: TolerationOperator::Equal,
                    value: "true".into(),
                    effect: Some(TaintEffect::NoSchedule)
                },
            ]
        );
        let p = problems(&d);
        assert_eq!(p.len(), 4, "{p:?}");
        assert_eq!(p[0].0, "w.tolerations[2]");
        assert_eq!(
            p[0].1,
            "a toleration without a key must have `operator: Exists`"
        );
        assert_eq!(
            (p[1].0.as_str(), p[1].1.as_str(), p[1].2.as_str()),
            (
                "w.tolerations[3].operator",
                "unknown toleration operator `Exist`",
                "did you mean `Exists`?"
            )
        );
        assert_eq!(p[2].0, "w.tolerations[4].value");
        assert_eq!(
            (p[3].0.as_str(), p[3].2.as_str()),
            ("w.tolerations[5].effect", "did you mean `NoExecute`?")
        );
    }

    #[test]
    fn node_affinity_operators_and_values() {
        let raw: RawAffinity = parse(
            r#"{ "node_affinity": { "required": [
                  { "match_expressions": [ { "key": "disk", "operator": "In", "values": ["ssd", "nvme"] },
                                           { "key": "gpu", "operator": "DoesNotExist" } ] },
                  { "match_expressions": [ { "key": "disk", "operator": "in", "values": ["ssd"] } ] },
                  { "match_expressions": [ { "key": "disk", "operator": "In" } ] },
                  { "match_expressions": [ { "key": "gpu", "operator": "Exists", "values": ["x"] } ] },
                  { "match_expressions": [ { "key": "cores", "operator": "Gt", "values": ["8"] } ] },
                  { "match_expressions": [] } ] } }"#,
        );
        let mut d = Vec::new();
        let pod = pod_scheduling(
            &RawPodScheduling {
                affinity: Some(raw),
                ..RawPodScheduling::default()
            },
            "w",
            &mut d,
        );
        assert_eq!(pod.node_affinity.len(), 1, "only the first term is whole");
        assert_eq!(pod.node_affinity[0].match_expressions.len(), 2);
        let p = problems(&d);
        let at = "w.affinity.node_affinity.required";
        assert_eq!(
            p,
            vec![
                (
                    format!("{at}[1].match_expressions[0].operator"),
                    "unknown node selector operator `in`".into(),
                    "did you mean `In`?".into()
                ),
                (
                    format!("{at}[2].match_expressions[0]"),
                    "operator `In` needs at least one value".into(),
                    "add e.g. `values: [ssd, nvme]`".into()
                ),
                (
                    format!("{at}[3].match_expressions[0].values"),
                    "operator `Exists` takes no values".into(),
                    "remove `values`, or use `In` / `NotIn` to compare values".into()
                ),
                (
                    format!("{at}[4].match_expressions[0].operator"),
                    "operator `Gt` is not supported".into(),
                    "use In, NotIn, Exists or DoesNotExist".into()
                ),
                (
                    format!("{at}[5].match_expressions"),
                    "a node selector term without expressions matches no node".into(),
                    "add an expression such as `{ key: disk, operator: In, values: [ssd] }`, or remove the term".into()
                ),
            ]
        );
    }

    #[test]
    fn pod_affinity_is_over_hosts_only_and_weights_are_1_to_100() {
        let raw: RawAffinity = parse(
            r#"{ "pod_anti_affinity": {
                   "required": [ { "label_selector": { "match_labels": { "app": "web" } }, "topology_key": "kubernetes.io/hostname" },
                                 { "label_selector": {}, "topology_key": "topology.kubernetes.io/zone" } ],
                   "preferred": [ { "weight": 100, "label_selector": { "match_labels": { "app": "db" } }, "topology_key": "kubernetes.io/hostname" },
                                  { "weight": 101, "label_selector": {}, "topology_key": "kubernetes.io/hostnme" } ] } }"#,
        );
        let mut d = Vec::new();
        let pod = pod_scheduling(
            &RawPodScheduling {
                affinity: Some(raw),
                ..RawPodScheduling::default()
            },
            "w",
            &mut d,
        );
        assert_eq!(pod.pod_anti_affinity.required.len(), 1);
        assert_eq!(pod.pod_anti_affinity.preferred.len(), 1);
        assert_eq!(pod.pod_anti_affinity.preferred[0].weight, 100);
        let p = problems(&d);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(
            p[0].0,
            "w.affinity.pod_anti_affinity.required[1].topology_key"
        );
        assert!(
            p[0].1.starts_with("topology key `topology.kubernetes.io/zone` is not supported: in a Supervisor cluster every node is an ESXi host"),
            "{}",
            p[0].1
        );
        assert_eq!(p[0].2, "write `topology_key: kubernetes.io/hostname`");
        assert_eq!(p[1].0, "w.affinity.pod_anti_affinity.preferred[1].weight");
        assert_eq!(
            p[1].1,
            "the weight is 101; it must be a whole number from 1 to 100"
        );
        assert_eq!(p[2].2, "did you mean `kubernetes.io/hostname`?");
    }

    #[test]
    fn spread_constraints() {
        let raw: Vec<RawTopologySpread> = parse(
            r#"[ { "max_skew": 1, "topology_key": "kubernetes.io/hostname", "when_unsatisfiable": "DoNotSchedule",
                   "label_selector": { "match_labels": { "app": "web" } }, "min_domains": 3, "node_taints_policy": "Honor" },
                 { "max_skew": 0, "topology_key": "kubernetes.io/hostname", "when_unsatisfiable": "ScheduleAnyway", "label_selector": {} },
                 { "max_skew": 2, "topology_key": "kubernetes.io/hostname", "when_unsatisfiable": "DoNotSchedule", "label_selector": {} },
                 { "max_skew": 2, "topology_key": "kubernetes.io/hostname", "when_unsatisfiable": "ScheduleAnyway", "label_selector": {}, "min_domains": 2 },
                 { "max_skew": 1, "topology_key": "kubernetes.io/hostname", "when_unsatisfiable": "DontSchedule", "label_selector": {} } ]"#,
        );
        let mut d = Vec::new();
        let c = topology_spread(&raw, "w.topology_spread", &mut d);
        let mut first = TopologySpreadConstraint::new(
            1,
            WhenUnsatisfiable::DoNotSchedule,
            LabelSelector {
                match_labels: [("app".to_string(), "web".to_string())].into(),
            },
        );
        first.min_domains = 3;
        first.node_taints_policy = InclusionPolicy::Honor;
        assert_eq!(c, vec![first]);
        let p = problems(&d);
        assert_eq!(
            p.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
            [
                "w.topology_spread[1].max_skew",
                "w.topology_spread[2]",
                "w.topology_spread[3].min_domains",
                "w.topology_spread[4].when_unsatisfiable"
            ]
        );
        assert_eq!(
            p[1].1,
            "a second `DoNotSchedule` constraint over `kubernetes.io/hostname`"
        );
        assert_eq!(p[3].2, "did you mean `DoNotSchedule`?");
    }

    #[test]
    fn label_values_must_be_text_or_whole_numbers() {
        let ok: RawLabels = parse(r#"{ "tier": 1, "app": "web" }"#);
        assert_eq!(ok["tier"], LabelValue("1".into()));
        for bad in [r#"{ "v": 1.5 }"#, r#"{ "v": true }"#] {
            let e = serde_json::from_str::<RawLabels>(bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains("a label value as text"), "{e}");
        }
    }

    #[test]
    fn a_pod_that_no_host_can_take_is_refused() {
        let gpu = NodeTemplate {
            labels: [("accelerator".to_string(), "nvidia".to_string())].into(),
            taints: vec![Taint::new("gpu", "true", TaintEffect::NoSchedule)],
            ..NodeTemplate::default()
        };
        let plain = NodeTemplate::default();
        let groups = [
            HostGroupNodes {
                name: "esx",
                count: 4,
                node: &plain,
            },
            HostGroupNodes {
                name: "gpu",
                count: 2,
                node: &gpu,
            },
        ];
        let mut pod = PodScheduling {
            node_selector: [("accelerator".to_string(), "nvidia".to_string())].into(),
            ..PodScheduling::default()
        };
        let mut d = Vec::new();
        assert!(!check_schedulable(&pod, &groups, "workloads[2]", &mut d));
        assert_eq!(
            problems(&d),
            vec![(
                "workloads[2]".to_string(),
                "no host can ever take these pods: none matches their node selector and node affinity with taints they tolerate".to_string(),
                "`esx` hosts do not match the node selector or node affinity; `gpu` hosts have the taint {gpu: true} (NoSchedule), which the pods do not tolerate".to_string()
            )]
        );
        pod.tolerations.push(Toleration {
            key: "gpu".into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
        });
        assert!(check_schedulable(&pod, &groups, "workloads[2]", &mut d));
        // Pinned to a host by name: esx-3 exists, esx-4 does not.
        let pinned = |host: &str| PodScheduling {
            node_selector: [(HOSTNAME_KEY.to_string(), host.to_string())].into(),
            ..PodScheduling::default()
        };
        assert!(check_schedulable(&pinned("esx-3"), &groups, "w", &mut d));
        assert!(!check_schedulable(&pinned("esx-4"), &groups, "w", &mut d));
    }

    #[test]
    fn required_affinity_to_labels_no_workload_has_is_refused() {
        let with = |labels: &[(&str, &str)], wants: Option<(&str, &str)>| PodScheduling {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            pod_affinity: PodAffinity {
                required: wants
                    .map(|(k, v)| PodAffinityTerm {
                        label_selector: LabelSelector {
                            match_labels: [(k.to_string(), v.to_string())].into(),
                        },
                    })
                    .into_iter()
                    .collect(),
                preferred: Vec::new(),
            },
            ..PodScheduling::default()
        };
        let cache = with(&[("app", "cache")], None);
        let web = with(&[("app", "web")], Some(("app", "cache")));
        let group = with(&[("app", "db")], Some(("app", "db")));
        let lonely = with(&[("app", "api")], Some(("app", "queue")));
        let w = |path, namespace, spec| PodWorkload {
            path,
            namespace,
            spec,
        };
        let mut d = Vec::new();
        let all = [
            w("workloads[0]", "team-a", &cache),
            w("workloads[1]", "team-a", &web),
            w("workloads[2]", "team-a", &group),
            w("workloads[3]", "team-a", &lonely),
            // Cache pods of another namespace do not count.
            w("workloads[4]", "team-b", &web),
        ];
        assert!(!check_affinity_targets(&all, &mut d));
        let p = problems(&d);
        assert_eq!(
            p.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
            [
                "workloads[3].affinity.pod_affinity.required",
                "workloads[4].affinity.pod_affinity.required"
            ]
        );
        assert!(
            p[0].1
                .starts_with("no pod of namespace `team-a` has labels matching"),
            "{}",
            p[0].1
        );
    }
}
