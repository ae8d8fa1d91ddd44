//! Each plugin on tiny hand-built clusters, with the exact feasible set and reasons.

use super::*;
use crate::scenario::kube::{
    LabelSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
    PodAffinityTerm, Toleration, TolerationOperator, TopologySpreadConstraint,
    WeightedPodAffinityTerm, HOSTNAME_KEY,
};
use crate::scenario::CpuAmount;

const GIB: u64 = 1 << 30;

/// `n` hosts `esx-0`.. of 32 cores at 2600 MHz and 512 GiB, nothing reserved, and the
/// pods bound to them.
struct Cluster {
    names: Vec<String>,
    hosts: Vec<HostView>,
    labels: Vec<Labels>,
    taints: Vec<Vec<Taint>>,
    max_pods: Vec<u32>,
    unschedulable: Vec<bool>,
    readiness: Vec<Readiness>,
    bound: BoundPods,
}

impl Cluster {
    fn new(n: usize) -> Cluster {
        let names: Vec<String> = (0..n).map(|i| format!("esx-{i}")).collect();
        Cluster {
            labels: names
                .iter()
                .map(|h| [(HOSTNAME_KEY.to_string(), h.clone())].into())
                .collect(),
            names,
            hosts: vec![
                HostView {
                    cores: 32,
                    core_mhz: 2600,
                    cpu_capacity_mhz: 32 * 2600,
                    mem_capacity: 512 * GIB,
                    accepting: true,
                    ..HostView::default()
                };
                n
            ],
            taints: vec![Vec::new(); n],
            max_pods: vec![110; n],
            unschedulable: vec![false; n],
            readiness: vec![Readiness::Ready; n],
            bound: BoundPods::new(n),
        }
    }

    fn label(mut self, node: usize, key: &str, value: &str) -> Self {
        self.labels[node].insert(key.into(), value.into());
        self
    }

    fn taint(mut self, node: usize, key: &str, value: &str, effect: TaintEffect) -> Self {
        self.taints[node].push(Taint::new(key, value, effect));
        self
    }

    /// Binds `count` pods of `pod` in `ns` to `node`.
    fn run(&mut self, node: usize, count: usize, ns: &str, pod: &Pod) {
        let c = self.bound.class(ns, &pod.0);
        for _ in 0..count {
            self.bound.add(node, c);
        }
    }

    fn nodes(&self) -> Vec<KubeNode<'_>> {
        (0..self.names.len())
            .map(|i| KubeNode {
                name: &self.names[i],
                host: &self.hosts[i],
                labels: &self.labels[i],
                taints: &self.taints[i],
                max_pods: self.max_pods[i],
                unschedulable: self.unschedulable[i],
                readiness: self.readiness[i],
            })
            .collect()
    }

    /// Evaluates `pod` in namespace `team-a`, requesting 500m and 1 GiB.
    fn evaluate(&self, pod: &Pod) -> Evaluation {
        let req = PodRequest {
            namespace: "team-a",
            spec: &pod.0,
            resources: Request {
                cpu: CpuAmount::Millicores(500),
                memory: GIB,
                vcpus: 0,
            },
        };
        evaluate(&self.nodes(), &self.bound, &req)
    }

    fn feasible(&self, pod: &Pod) -> Vec<String> {
        let e = self.evaluate(pod);
        e.feasible().map(|i| self.names[i].clone()).collect()
    }

    /// (node, plugin, reasons) of every filtered node.
    fn filtered(&self, pod: &Pod) -> Vec<(String, &'static str, Vec<String>)> {
        let e = self.evaluate(pod);
        let nodes = self.nodes();
        e.verdicts
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                Verdict::Filtered(f) => Some((
                    self.names[i].clone(),
                    f.plugin().name(),
                    f.reasons(&nodes[i]),
                )),
                Verdict::Feasible(_) => None,
            })
            .collect()
    }
}

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| s.to_string()).collect()
}

fn why(node: &str, plugin: &'static str, reasons: &[&str]) -> (String, &'static str, Vec<String>) {
    (node.to_string(), plugin, names(reasons))
}

fn sel(key: &str, value: &str) -> LabelSelector {
    LabelSelector {
        match_labels: [(key.to_string(), value.to_string())].into(),
    }
}

/// A pod spec, built up.
#[derive(Clone, Default)]
struct Pod(PodScheduling);

fn pod() -> Pod {
    Pod::default()
}

impl Pod {
    fn label(mut self, k: &str, v: &str) -> Self {
        self.0.labels.insert(k.into(), v.into());
        self
    }
    fn node_selector(mut self, k: &str, v: &str) -> Self {
        self.0.node_selector.insert(k.into(), v.into());
        self
    }
    fn node_term(mut self, reqs: &[(&str, NodeSelectorOperator, &[&str])]) -> Self {
        self.0.node_affinity.push(NodeSelectorTerm {
            match_expressions: reqs
                .iter()
                .map(|(k, op, vs)| NodeSelectorRequirement {
                    key: k.to_string(),
                    operator: *op,
                    values: names(vs),
                })
                .collect(),
        });
        self
    }
    fn tolerate(
        mut self,
        key: &str,
        op: TolerationOperator,
        value: &str,
        effect: Option<TaintEffect>,
    ) -> Self {
        self.0.tolerations.push(Toleration {
            key: key.into(),
            operator: op,
            value: value.into(),
            effect,
        });
        self
    }
    fn affinity(mut self, s: LabelSelector) -> Self {
        self.0
            .pod_affinity
            .required
            .push(PodAffinityTerm { label_selector: s });
        self
    }
    fn anti(mut self, s: LabelSelector) -> Self {
        self.0
            .pod_anti_affinity
            .required
            .push(PodAffinityTerm { label_selector: s });
        self
    }
    fn prefer(mut self, weight: u32, s: LabelSelector) -> Self {
        self.0.pod_affinity.preferred.push(WeightedPodAffinityTerm {
            weight,
            term: PodAffinityTerm { label_selector: s },
        });
        self
    }
    fn prefer_not(mut self, weight: u32, s: LabelSelector) -> Self {
        self.0
            .pod_anti_affinity
            .preferred
            .push(WeightedPodAffinityTerm {
                weight,
                term: PodAffinityTerm { label_selector: s },
            });
        self
    }
    fn spread(mut self, c: TopologySpreadConstraint) -> Self {
        self.0.topology_spread.push(c);
        self
    }
}

fn web() -> Pod {
    pod().label("app", "web")
}

#[test]
fn resource_fit_lists_every_shortfall() {
    let mut c = Cluster::new(4);
    // esx-1: 200 MHz left, less than 500m x 2600 MHz = 1300 MHz.
    c.hosts[1].cpu_reserved_mhz = 32 * 2600 - 200;
    // esx-2: half a GiB left.
    c.hosts[2].mem_reserved = 512 * GIB - GIB / 2;
    // esx-3: full of pods and of CPU.
    c.max_pods[3] = 2;
    c.run(3, 2, "team-a", &pod());
    c.hosts[3].cpu_reserved_mhz = 32 * 2600;
    assert_eq!(c.feasible(&pod()), names(&["esx-0"]));
    assert_eq!(
        c.filtered(&pod()),
        vec![
            why("esx-1", "NodeResourcesFit", &["Insufficient cpu"]),
            why("esx-2", "NodeResourcesFit", &["Insufficient memory"]),
            why(
                "esx-3",
                "NodeResourcesFit",
                &["Too many pods", "Insufficient cpu"]
            ),
        ]
    );
}

#[test]
fn cpu_requests_in_cores_are_measured_in_each_hosts_mhz() {
    let mut c = Cluster::new(2);
    // 1400 MHz left on both; 500m is 1300 MHz at 2600 MHz but 1500 MHz at 3000 MHz.
    c.hosts[1].core_mhz = 3000;
    c.hosts[1].cpu_capacity_mhz = 32 * 3000;
    c.hosts[0].cpu_reserved_mhz = 32 * 2600 - 1400;
    c.hosts[1].cpu_reserved_mhz = 32 * 3000 - 1400;
    assert_eq!(c.feasible(&pod()), names(&["esx-0"]));
}

#[test]
fn node_selector_and_required_node_affinity() {
    use NodeSelectorOperator::*;
    let c = Cluster::new(4)
        .label(0, "disk", "ssd")
        .label(1, "disk", "hdd")
        .label(2, "disk", "nvme")
        .label(2, "gpu", "true");
    assert_eq!(
        c.feasible(&pod().node_selector("disk", "ssd")),
        names(&["esx-0"])
    );
    assert_eq!(
        c.filtered(&pod().node_selector("disk", "ssd"))[0],
        why(
            "esx-1",
            "NodeAffinity",
            &["node(s) didn't match Pod's node affinity/selector"]
        )
    );
    // Terms are ORed, expressions ANDed.
    let p = pod()
        .node_term(&[("disk", In, &["ssd", "nvme"]), ("gpu", DoesNotExist, &[])])
        .node_term(&[("disk", NotIn, &["ssd", "hdd", "nvme"])]);
    assert_eq!(c.feasible(&p), names(&["esx-0", "esx-3"]));
    let p = pod().node_term(&[("gpu", Exists, &[])]);
    assert_eq!(c.feasible(&p), names(&["esx-2"]));
    // Pinned by host name.
    assert_eq!(
        c.feasible(&pod().node_selector(HOSTNAME_KEY, "esx-1")),
        names(&["esx-1"])
    );
}

#[test]
fn taints_filter_unless_tolerated_and_prefer_no_schedule_only_scores() {
    use TaintEffect::*;
    use TolerationOperator::*;
    let c = Cluster::new(4)
        .taint(0, "gpu", "true", NoSchedule)
        .taint(1, "spot", "", PreferNoSchedule)
        .taint(2, "dedicated", "db", NoExecute);
    assert_eq!(c.feasible(&pod()), names(&["esx-1", "esx-3"]));
    assert_eq!(
        c.filtered(&pod()),
        vec![
            why(
                "esx-0",
                "TaintToleration",
                &["node(s) had untolerated taint {gpu: true}"]
            ),
            why(
                "esx-2",
                "TaintToleration",
                &["node(s) had untolerated taint {dedicated: db}"]
            ),
        ]
    );
    let gpu = pod().tolerate("gpu", Exists, "", None);
    assert_eq!(c.feasible(&gpu), names(&["esx-0", "esx-1", "esx-3"]));
    // A value that differs, or an effect that differs, does not tolerate.
    assert_eq!(
        c.feasible(&pod().tolerate("dedicated", Equal, "web", None)),
        names(&["esx-1", "esx-3"])
    );
    assert_eq!(
        c.feasible(&pod().tolerate("dedicated", Equal, "db", Some(NoSchedule))),
        names(&["esx-1", "esx-3"])
    );
    assert_eq!(
        c.feasible(&pod().tolerate("dedicated", Equal, "db", Some(NoExecute))),
        names(&["esx-1", "esx-2", "esx-3"])
    );
    // An empty key with Exists tolerates everything.
    let all = pod().tolerate("", Exists, "", None);
    assert_eq!(
        c.feasible(&all),
        names(&["esx-0", "esx-1", "esx-2", "esx-3"])
    );
    // The PreferNoSchedule host scores lower, unless tolerated.
    let e = c.evaluate(&pod());
    assert_eq!(e.scores(1).unwrap().taint_toleration, 0);
    assert_eq!(e.scores(3).unwrap().taint_toleration, 100);
    let e = c.evaluate(&pod().tolerate("spot", Exists, "", Some(PreferNoSchedule)));
    assert_eq!(e.scores(1).unwrap().taint_toleration, 100);
}

#[test]
fn hosts_not_ready_cordoned_or_not_accepting() {
    use TolerationOperator::*;
    let mut c = Cluster::new(5);
    c.readiness[0] = Readiness::NotReady;
    c.unschedulable[1] = true;
    c.hosts[2].accepting = false;
    c.readiness[3] = Readiness::Unknown;
    assert_eq!(c.feasible(&pod()), names(&["esx-4"]));
    assert_eq!(
        c.filtered(&pod()),
        vec![
            why("esx-0", "TaintToleration", &["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"]),
            why("esx-1", "NodeUnschedulable", &["node(s) were unschedulable"]),
            why("esx-2", "HostAvailable", &["node(s) were on hosts not accepting work (powered off, standby, failed or in maintenance mode)"]),
            why("esx-3", "TaintToleration", &["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"]),
        ]
    );
    // Tolerating everything lets a pod onto NotReady and cordoned nodes (as DaemonSet
    // pods do), never onto a host that takes no work.
    let all = pod().tolerate("", Exists, "", None);
    assert_eq!(
        c.feasible(&all),
        names(&["esx-0", "esx-1", "esx-3", "esx-4"])
    );
    let cordon = pod().tolerate(
        TAINT_UNSCHEDULABLE,
        Exists,
        "",
        Some(TaintEffect::NoSchedule),
    );
    assert_eq!(c.feasible(&cordon), names(&["esx-1", "esx-4"]));
}

#[test]
fn the_first_failing_plugin_is_the_reason() {
    let mut c = Cluster::new(1).taint(0, "gpu", "true", TaintEffect::NoSchedule);
    c.hosts[0].cpu_reserved_mhz = 32 * 2600;
    c.run(0, 1, "team-a", &web());
    let p = web().anti(sel("app", "web")).node_selector("disk", "ssd");
    assert_eq!(
        c.filtered(&p),
        vec![why(
            "esx-0",
            "TaintToleration",
            &["node(s) had untolerated taint {gpu: true}"]
        )]
    );
}

#[test]
fn required_anti_affinity_keeps_pods_apart() {
    let mut c = Cluster::new(4);
    c.run(0, 1, "team-a", &web());
    c.run(1, 2, "team-a", &web());
    // The same labels in another namespace do not count.
    c.run(2, 1, "team-b", &web());
    let p = web().anti(sel("app", "web"));
    assert_eq!(c.feasible(&p), names(&["esx-2", "esx-3"]));
    assert_eq!(
        c.filtered(&p),
        vec![
            why(
                "esx-0",
                "InterPodAffinity",
                &["node(s) didn't match pod anti-affinity rules"]
            ),
            why(
                "esx-1",
                "InterPodAffinity",
                &["node(s) didn't match pod anti-affinity rules"]
            ),
        ]
    );
}

#[test]
fn an_existing_pods_anti_affinity_forbids_the_incoming_pod() {
    let mut c = Cluster::new(3);
    // A db pod that wants no web pod beside it, on esx-1; the same in team-b on esx-2.
    let db = pod().label("app", "db").anti(sel("app", "web"));
    c.run(1, 1, "team-a", &db);
    c.run(2, 1, "team-b", &db);
    // The web pod has no rule of its own.
    assert_eq!(c.feasible(&web()), names(&["esx-0", "esx-2"]));
    assert_eq!(
        c.filtered(&web()),
        vec![why(
            "esx-1",
            "InterPodAffinity",
            &["node(s) didn't satisfy existing pods anti-affinity rules"]
        )]
    );
    // Another pod is not concerned.
    assert_eq!(c.feasible(&pod().label("app", "cache")).len(), 3);
}

#[test]
fn required_affinity_needs_a_matching_pod_on_the_node() {
    let mut c = Cluster::new(3);
    c.run(2, 1, "team-a", &pod().label("app", "cache"));
    let p = web().affinity(sel("app", "cache"));
    assert_eq!(c.feasible(&p), names(&["esx-2"]));
    assert_eq!(
        c.filtered(&p)[0],
        why(
            "esx-0",
            "InterPodAffinity",
            &["node(s) didn't match pod affinity rules"]
        )
    );
    // Several terms: one pod must match them all.
    let mut c = Cluster::new(2);
    c.run(0, 1, "team-a", &pod().label("app", "cache"));
    c.run(0, 1, "team-a", &pod().label("tier", "hot"));
    c.run(
        1,
        1,
        "team-a",
        &pod().label("app", "cache").label("tier", "hot"),
    );
    let p = web()
        .affinity(sel("app", "cache"))
        .affinity(sel("tier", "hot"));
    assert_eq!(c.feasible(&p), names(&["esx-1"]));
}

#[test]
fn the_first_pod_of_a_self_affine_group_goes_anywhere() {
    let c = Cluster::new(3);
    // No cache pod yet: a cache pod that wants to be with cache pods may start anywhere.
    let first = pod().label("app", "cache").affinity(sel("app", "cache"));
    assert_eq!(c.feasible(&first), names(&["esx-0", "esx-1", "esx-2"]));
    // A web pod that wants cache pods has nowhere to go.
    let e = c.evaluate(&web().affinity(sel("app", "cache")));
    assert_eq!(e.feasible().count(), 0);
    assert_eq!(
        e.message(&c.nodes()),
        "0/3 nodes are available: 3 node(s) didn't match pod affinity rules."
    );
    // Once one exists, the others follow it.
    let mut c = c;
    c.run(1, 1, "team-a", &first);
    assert_eq!(c.feasible(&first), names(&["esx-1"]));
}

fn spread(max_skew: u32, when: WhenUnsatisfiable) -> TopologySpreadConstraint {
    TopologySpreadConstraint::new(max_skew, when, sel("app", "web"))
}

/// Web pods on four hosts: 2, 1, 0, 1.
fn web_2101() -> Cluster {
    let mut c = Cluster::new(4)
        .label(0, "disk", "ssd")
        .label(1, "disk", "ssd")
        .label(3, "disk", "ssd");
    for (node, n) in [(0, 2), (1, 1), (3, 1)] {
        c.run(node, n, "team-a", &web());
    }
    c.run(2, 3, "team-a", &pod().label("app", "db"));
    c
}

#[test]
fn spread_do_not_schedule_bounds_the_skew() {
    let c = web_2101();
    let p = web().spread(spread(1, WhenUnsatisfiable::DoNotSchedule));
    // Fewest is 0 (esx-2): only esx-2 stays within a skew of 1.
    assert_eq!(c.feasible(&p), names(&["esx-2"]));
    assert_eq!(
        c.filtered(&p)[0],
        why(
            "esx-0",
            "PodTopologySpread",
            &["node(s) didn't match pod topology spread constraints"]
        )
    );
    let p = web().spread(spread(2, WhenUnsatisfiable::DoNotSchedule));
    assert_eq!(c.feasible(&p), names(&["esx-1", "esx-2", "esx-3"]));
    // A pod that its own selector does not match adds nothing to the skew.
    let db = pod()
        .label("app", "db")
        .spread(spread(1, WhenUnsatisfiable::DoNotSchedule));
    assert_eq!(c.feasible(&db), names(&["esx-1", "esx-2", "esx-3"]));
}

#[test]
fn spread_domains_follow_the_inclusion_policies_and_min_domains() {
    let c = web_2101();
    // With the node selector, esx-2 is not a domain (Honor): the fewest is 1.
    let p = web()
        .node_selector("disk", "ssd")
        .spread(spread(1, WhenUnsatisfiable::DoNotSchedule));
    assert_eq!(c.feasible(&p), names(&["esx-1", "esx-3"]));
    // Ignore: esx-2 counts with 0, and no host it may go to stays within the skew.
    let mut s = spread(1, WhenUnsatisfiable::DoNotSchedule);
    s.node_affinity_policy = InclusionPolicy::Ignore;
    assert_eq!(
        c.feasible(&web().node_selector("disk", "ssd").spread(s)),
        names(&[])
    );
    // min_domains above the eligible hosts: the fewest is taken as 0.
    let mut s = spread(1, WhenUnsatisfiable::DoNotSchedule);
    s.min_domains = 4;
    assert_eq!(
        c.feasible(&web().node_selector("disk", "ssd").spread(s)),
        names(&[])
    );
    // A cordoned empty host holds the fewest at 0 by default (nodeTaintsPolicy Ignore)...
    let mut c = web_2101();
    c.unschedulable[2] = true;
    let p = web().spread(spread(1, WhenUnsatisfiable::DoNotSchedule));
    assert_eq!(c.feasible(&p), names(&[]));
    // ...and not with Honor.
    let mut s = spread(1, WhenUnsatisfiable::DoNotSchedule);
    s.node_taints_policy = InclusionPolicy::Honor;
    assert_eq!(c.feasible(&web().spread(s)), names(&["esx-1", "esx-3"]));
}

#[test]
fn spread_schedule_anyway_scores_and_never_filters() {
    let c = web_2101();
    let p = web().spread(spread(1, WhenUnsatisfiable::ScheduleAnyway));
    let e = c.evaluate(&p);
    assert_eq!(e.feasible().count(), 4);
    // raw = round(count x ln(4 + 2)) = 4, 2, 0, 2; normalised 100 x (4 + 0 - raw) / 4.
    let s: Vec<Option<i64>> = (0..4)
        .map(|i| e.scores(i).unwrap().pod_topology_spread)
        .collect();
    assert_eq!(s, [Some(0), Some(50), Some(100), Some(50)]);
    assert_eq!(e.best(), Some(2));
    // Without a ScheduleAnyway constraint the plugin does not score.
    assert_eq!(
        c.evaluate(&web()).scores(0).unwrap().pod_topology_spread,
        None
    );
}

#[test]
fn preferred_affinity_scores_with_weights_both_ways() {
    let mut c = Cluster::new(3);
    c.run(0, 2, "team-a", &pod().label("app", "cache"));
    c.run(1, 1, "team-a", &pod().label("app", "cache"));
    c.run(2, 1, "team-a", &pod().label("app", "batch"));
    let p = web()
        .prefer(10, sel("app", "cache"))
        .prefer_not(5, sel("app", "batch"));
    let e = c.evaluate(&p);
    // raw 20, 10, -5: scaled from -5 to 20.
    let s: Vec<Option<i64>> = (0..3)
        .map(|i| e.scores(i).unwrap().inter_pod_affinity)
        .collect();
    assert_eq!(s, [Some(100), Some(60), Some(0)]);
    // The symmetric part: a bound pod that prefers web pods (weight 30) pulls to esx-2,
    // and one that requires them counts 1 (hardPodAffinityWeight).
    c.run(
        2,
        1,
        "team-a",
        &pod().label("app", "lb").prefer(30, sel("app", "web")),
    );
    c.run(
        1,
        1,
        "team-a",
        &pod().label("app", "sidecar").affinity(sel("app", "web")),
    );
    let e = c.evaluate(&p);
    // raw 20, 11, 25: scaled from 0 to 25.
    let s: Vec<Option<i64>> = (0..3)
        .map(|i| e.scores(i).unwrap().inter_pod_affinity)
        .collect();
    assert_eq!(s, [Some(80), Some(44), Some(100)]);
    // No term of the pod nor of any bound pod of its namespace: not scored.
    let c = Cluster::new(2);
    assert_eq!(
        c.evaluate(&web()).scores(0).unwrap().inter_pod_affinity,
        None
    );
}

#[test]
fn the_explanation_is_one_json_object_in_node_order() {
    let mut c = Cluster::new(3).taint(1, "gpu", "true", TaintEffect::NoSchedule);
    c.hosts[2].cpu_reserved_mhz = 32 * 2600;
    let e = c.evaluate(&web());
    let json = serde_json::to_string(&e.explain(&c.nodes())).unwrap();
    assert_eq!(
        json,
        r#"{"feasible":1,"nodes":{"esx-0":{"scores":{"TaintToleration":100},"score":300},"esx-1":{"filtered":"TaintToleration","reasons":["node(s) had untolerated taint {gpu: true}"]},"esx-2":{"filtered":"NodeResourcesFit","reasons":["Insufficient cpu"]}}}"#
    );
    // With nothing feasible, kube-scheduler's message: reasons counted, sorted as text.
    let mut c = Cluster::new(12);
    for i in 0..10 {
        c.hosts[i].cpu_reserved_mhz = 32 * 2600;
    }
    c.hosts[10].mem_reserved = 512 * GIB;
    c.hosts[11].cpu_reserved_mhz = 32 * 2600;
    c.hosts[11].mem_reserved = 512 * GIB;
    let x = c.evaluate(&web()).explain(&c.nodes());
    assert_eq!(
        x.message.as_deref(),
        Some("0/12 nodes are available: 11 Insufficient cpu, 2 Insufficient memory.")
    );
}

#[test]
fn bound_pods_follow_adds_and_removals() {
    let mut c = Cluster::new(2);
    let p = web().anti(sel("app", "web"));
    let class = c.bound.class("team-a", &web().0);
    c.bound.add(0, class);
    assert_eq!(c.feasible(&p), names(&["esx-1"]));
    assert!(c.bound.remove(0, class));
    assert_eq!(c.feasible(&p), names(&["esx-0", "esx-1"]));
}
