//! Benchmarks of Kubernetes filtering (`cargo bench --bench kube`).
//!
//! `kube_filter/evaluate/{64,1000}`: one `policy::kube::evaluate` decision for a web pod
//! with required pod affinity (to `app=svc-0`), required anti-affinity (to itself),
//! preferred affinity, a `DoNotSchedule` and a `ScheduleAnyway` spread constraint and a
//! toleration, on 64 and 1,000 nodes each carrying 100 pods of 10 of 20 workloads (some
//! of which have anti-affinity of their own), plus one web pod on every other node.
//! `kube_filter/explain/64` adds building the `--explain` record and writing it as JSON.

use criterion::{criterion_group, criterion_main, Criterion};
use pacsim::policy::kube::{evaluate, BoundPods, KubeNode, PodRequest, Readiness};
use pacsim::policy::{HostView, Request};
use pacsim::scenario::kube::{
    LabelSelector, Labels, PodAffinityTerm, PodScheduling, Taint, TaintEffect, Toleration,
    TolerationOperator, TopologySpreadConstraint, WeightedPodAffinityTerm, WhenUnsatisfiable,
    HOSTNAME_KEY,
};
use pacsim::scenario::CpuAmount;
use std::hint::black_box;
use std::time::Duration;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sel(k: &str, v: &str) -> LabelSelector {
    LabelSelector {
        match_labels: labels(&[(k, v)]),
    }
}

struct Cluster {
    names: Vec<String>,
    hosts: Vec<HostView>,
    labels: Vec<Labels>,
    taints: Vec<Vec<Taint>>,
    bound: BoundPods,
}

impl Cluster {
    fn new(n: usize) -> Cluster {
        let names: Vec<String> = (0..n).map(|i| format!("esx-{i}")).collect();
        let mut bound = BoundPods::new(n);
        // 20 workloads; every fourth keeps its pods apart (required anti-affinity to
        // itself), every third prefers svc-0's hosts.
        let classes: Vec<_> = (0..20)
            .map(|k| {
                let app = format!("svc-{k}");
                let mut spec = PodScheduling {
                    labels: labels(&[
                        ("app", &app),
                        ("tier", if k % 2 == 0 { "front" } else { "back" }),
                    ]),
                    ..PodScheduling::default()
                };
                if k % 4 == 1 {
                    spec.pod_anti_affinity.required.push(PodAffinityTerm {
                        label_selector: sel("app", &app),
                    });
                }
                if k % 3 == 2 {
                    spec.pod_affinity.preferred.push(WeightedPodAffinityTerm {
                        weight: 20,
                        term: PodAffinityTerm {
                            label_selector: sel("app", "svc-0"),
                        },
                    });
                }
                bound.class("team-a", &spec)
            })
            .collect();
        let web = bound.class("team-a", &web());
        for i in 0..n {
            for j in 0..10 {
                let c = classes[(i + j) % 20];
                for _ in 0..10 {
                    bound.add(i, c);
                }
            }
            if i % 2 == 0 {
                bound.add(i, web);
            }
        }
        Cluster {
            labels: names
                .iter()
                .map(|h| labels(&[(HOSTNAME_KEY, h), ("disk", "ssd")]))
                .collect(),
            names,
            hosts: vec![
                HostView {
                    cores: 32,
                    core_mhz: 2600,
                    cpu_capacity_mhz: 32 * 2600,
                    mem_capacity: 512 << 30,
                    cpu_reserved_mhz: 40_000,
                    mem_reserved: 200 << 30,
                    accepting: true,
                    ..HostView::default()
                };
                n
            ],
            taints: (0..n)
                .map(|i| {
                    if i % 8 == 7 {
                        vec![Taint::new("gpu", "true", TaintEffect::NoSchedule)]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
            bound,
        }
    }

    fn nodes(&self) -> Vec<KubeNode<'_>> {
        (0..self.names.len())
            .map(|i| KubeNode {
                name: &self.names[i],
                host: &self.hosts[i],
                labels: &self.labels[i],
                taints: &self.taints[i],
                max_pods: 250,
                unschedulable: false,
                readiness: Readiness::Ready,
            })
            .collect()
    }
}

/// The incoming pod.
fn web() -> PodScheduling {
    let mut p = PodScheduling {
        labels: labels(&[("app", "web")]),
        node_selector: labels(&[("disk", "ssd")]),
        ..PodScheduling::default()
    };
    p.pod_affinity.required.push(PodAffinityTerm {
        label_selector: sel("app", "svc-0"),
    });
    p.pod_anti_affinity.required.push(PodAffinityTerm {
        label_selector: sel("app", "web"),
    });
    p.pod_affinity.preferred.push(WeightedPodAffinityTerm {
        weight: 50,
        term: PodAffinityTerm {
            label_selector: sel("tier", "front"),
        },
    });
    p.topology_spread.push(TopologySpreadConstraint::new(
        1,
        WhenUnsatisfiable::DoNotSchedule,
        sel("app", "web"),
    ));
    p.topology_spread.push(TopologySpreadConstraint::new(
        2,
        WhenUnsatisfiable::ScheduleAnyway,
        sel("tier", "front"),
    ));
    p.tolerations.push(Toleration {
        key: "spot".into(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: None,
    });
    p
}

fn kube_filter(c: &mut Criterion) {
    let mut g = c.benchmark_group("kube_filter");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    let spec = web();
    let req = PodRequest {
        namespace: "team-a",
        spec: &spec,
        resources: Request {
            cpu: CpuAmount::Millicores(500),
            memory: 1 << 30,
            vcpus: 0,
        },
    };
    for n in [64usize, 1000] {
        let cluster = Cluster::new(n);
        let nodes = cluster.nodes();
        let e = evaluate(&nodes, &cluster.bound, &req);
        assert!(e.feasible().count() > 0 && e.feasible().count() < n);
        g.bench_function(format!("evaluate/{n}"), |b| {
            b.iter(|| black_box(evaluate(&nodes, &cluster.bound, black_box(&req))))
        });
        if n == 64 {
            g.bench_function("explain/64", |b| {
                b.iter(|| {
                    let e = evaluate(&nodes, &cluster.bound, &req);
                    black_box(serde_json::to_string(&e.explain(&nodes)).expect("serialises"))
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, kube_filter);
criterion_main!(benches);
