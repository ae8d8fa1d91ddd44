//! kube-scheduler's side of a supervisor cluster's placement: every host is a node with
//! its labels, taints and pod limit; the pods bound to each are counted by class for
//! affinity and spread; a pod's feasible hosts come from `policy::kube`'s filters, and
//! DRS (the cluster's placement policy) chooses among them.

use super::ids::{ClusterId, GroupId, HostId};
use super::instance::InstanceId;
use super::world::World;
use crate::engine::Id;
use crate::policy::kube::{
    evaluate, BoundPods, Explanation, KubeNode, PodClassId, PodRequest, Readiness,
};
use crate::policy::{HostView, Request};
use crate::scenario::kube::{Labels, Taint};

/// The nodes of a supervisor cluster as the scheduler sees them.
pub struct KubeNodes {
    pub names: Vec<String>,
    pub labels: Vec<Labels>,
    pub taints: Vec<Vec<Taint>>,
    pub max_pods: Vec<u32>,
    pub bound: BoundPods,
    /// Each group's pod class (pods of one template share one).
    pub class: Vec<Option<PodClassId>>,
}

/// A scheduling decision, for `--explain`: every node's filter result and scores, and
/// DRS's score of each feasible host (the placement policy's rank: lower is better).
#[derive(Clone, Debug)]
pub struct Decision {
    pub explanation: Explanation,
    pub drs_scores: Vec<(String, f64)>,
}

impl World {
    /// The pod's feasible hosts (by host index within the cluster), from Kubernetes'
    /// filters; `explain` also hands the evaluation to `f`.
    pub(super) fn kube_feasible(
        &self,
        group: GroupId,
        request: &Request,
        explain: Option<&mut Option<Decision>>,
    ) -> Vec<bool> {
        let spec = &self.groups[group].spec;
        let ci = ClusterId::from_index(spec.cluster);
        let c = &self.clusters[ci];
        let (Some(k), Some(sup)) = (c.kube.as_ref(), c.supervisor.as_ref()) else {
            return Vec::new();
        };
        let nodes: Vec<KubeNode> = c
            .views
            .iter()
            .enumerate()
            .map(|(i, view)| KubeNode {
                name: &k.names[i],
                host: view,
                labels: &k.labels[i],
                taints: &k.taints[i],
                max_pods: k.max_pods[i],
                unschedulable: false,
                readiness: if sup.nodes[i] {
                    Readiness::Ready
                } else {
                    Readiness::NotReady
                },
            })
            .collect();
        let namespace = spec
            .namespace
            .map_or("", |n| self.namespaces[n].spec.name.as_str());
        let eval = evaluate(
            &nodes,
            &k.bound,
            &PodRequest {
                namespace,
                spec: &spec.scheduling,
                resources: *request,
            },
        );
        let feasible: Vec<bool> = (0..nodes.len()).map(|i| eval.is_feasible(i)).collect();
        if let Some(out) = explain {
            let rank = c.policy.rank_fn();
            let drs_scores = (0..nodes.len())
                .filter(|&i| feasible[i])
                .filter_map(|i| {
                    let v: &HostView = &c.views[i];
                    rank(v, i as u32)
                        .map(|r| (k.names[i].clone(), r.num as f64 / r.den.max(1) as f64))
                })
                .collect();
            *out = Some(Decision {
                explanation: eval.explain(&nodes),
                drs_scores,
            });
        }
        feasible
    }

    /// A supervised pod was bound to `host`, or left it (`add` false): the scheduler's
    /// per-node counts follow.
    pub(super) fn kube_bind(&mut self, pod: InstanceId, host: HostId, add: bool) {
        let Some(inst) = self.instances.get(pod) else {
            return;
        };
        let group = inst.group;
        let ci = self.hosts[host].cluster;
        let local = self.hosts[host].local as usize;
        if let Some(k) = self.clusters[ci].kube.as_mut() {
            if let Some(class) = k.class[group.index()] {
                if add {
                    k.bound.add(local, class);
                } else {
                    k.bound.remove(local, class);
                }
            }
        }
    }
}
