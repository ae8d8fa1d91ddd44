//! DRS in the world: the periodic balancing pass, and the vMotions it starts.
//!
//! A pass computes every VM's and pod's CPU and memory entitlements on its host
//! ([`entitlements`](crate::policy::entitlement::entitlements)), asks the cluster's policy
//! ([`crate::policy::balance`] or [`crate::policy::drs_score`]) for moves, and starts a
//! vMotion for each within vCenter's concurrent-migration slots (excess moves wait for a
//! slot; `migration.rs` runs them). Native pods count in the loads but are never moved
//! (vSphere Pods do not vMotion). A VM already migrating or waiting for a slot counts on
//! its destination and is not movable.

use super::event::Event;
use super::ids::{ClusterId, HostId};
use super::instance::{InstanceId, InstanceState};
use super::vmotion::PrecopyParams;
use super::world::{Observer, World};
use crate::engine::{Id, SimTime};
use crate::policy::balance::{
    balance, BalanceHost, BalanceParams, BalanceRule, BalanceView, BalanceVm,
};
use crate::policy::drs_score::{score_pass, vm_scores, ScoreParams, ScoreView, ScoreVm};
use crate::policy::entitlement::{
    entitlements, Claim, NORMAL_MEMORY_SHARES_PER_MB, NORMAL_SHARES_PER_VCPU,
};
use crate::policy::Request;
use crate::scenario::{DrsPolicy, VmRule};
use std::collections::BTreeMap;

const MIB: f64 = 1024.0 * 1024.0;

/// The input of a balance pass over a cluster: owned, so that the world can change while
/// the pass's moves are carried out. `ids[i]` is the instance the pass calls VM `i`.
pub struct BalanceInput {
    pub hosts: Vec<BalanceHost>,
    pub vms: Vec<BalanceVm>,
    /// The same VMs with their claims, for the score policy.
    pub claims: Vec<ScoreVm>,
    pub rules: Vec<BalanceRule>,
    pub ids: Vec<InstanceId>,
}

impl BalanceInput {
    pub fn view(&self) -> BalanceView<'_> {
        BalanceView {
            hosts: &self.hosts,
            vms: &self.vms,
            rules: &self.rules,
        }
    }

    pub fn score_view(&self) -> ScoreView<'_> {
        ScoreView {
            hosts: &self.hosts,
            vms: &self.claims,
            rules: &self.rules,
        }
    }
}

impl World {
    /// One DRS pass over `cluster`, then the next one is scheduled.
    pub(super) fn on_drs_pass<O: Observer>(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        obs: &mut O,
    ) {
        let Some(drs) = self.clusters[cluster].drs.clone() else {
            return;
        };
        let input = self.balance_input(cluster);
        let path = self
            .cluster_hosts(cluster)
            .iter()
            .map(|h| h.nic_bytes_per_s)
            .fold(f64::INFINITY, f64::min);
        let params = BalanceParams {
            level: drs.level,
            max_moves: drs.max_moves,
            migration_bandwidth: PrecopyParams::default().migration_bandwidth(path, 1),
            ..BalanceParams::default()
        };
        let pass = match drs.policy {
            DrsPolicy::Imbalance => {
                let mut pass = balance(&input.view(), &params);
                // The cluster DRS score, for comparison with the `drs-score` policy.
                let score = ScoreParams::default();
                let scores = vm_scores(&input.score_view(), &score);
                pass.score_before =
                    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
                pass
            }
            DrsPolicy::Score => score_pass(
                &input.score_view(),
                &ScoreParams {
                    balance: params,
                    ..ScoreParams::default()
                },
            ),
        };
        obs.drs_pass(now, self, cluster, &pass, &input.ids);
        let first = self.clusters[cluster].first_host.index();
        for r in &pass.recommendations {
            let (vm, src, dst) = (
                input.ids[r.vm],
                HostId((first + r.from) as u32),
                HostId((first + r.to) as u32),
            );
            if self.clusters[cluster]
                .slots
                .try_start((vm, src, dst), r.from, r.to)
            {
                self.begin_migration(now, vm, src, dst, obs);
            }
        }
        self.dpm_evaluate(now, cluster, obs);
        let next = now + drs.interval;
        if next <= self.end {
            self.queue.schedule_at(next, Event::DrsPass { cluster });
        }
    }

    /// What a balance pass over `cluster` sees: its hosts, every placed VM and pod with
    /// its CPU and memory entitlements on its host, and the VMs' rules.
    pub(super) fn balance_input(&self, cluster: ClusterId) -> BalanceInput {
        let c = &self.clusters[cluster];
        let first = c.first_host.index();
        let n = c.host_count as usize;
        let hosts: Vec<BalanceHost> = c
            .views
            .iter()
            .map(|v| BalanceHost {
                cpu_capacity_mhz: v.cpu_capacity_mhz,
                mem_capacity: v.mem_capacity,
                accepting: v.accepting,
            })
            .collect();
        // The rules of the cluster's vm-groups, by group.
        let mut rules = Vec::new();
        let mut rule_of = vec![None; self.groups.len()];
        for (g, group) in self.groups.iter_enumerated() {
            let spec = &group.spec;
            if spec.cluster != cluster.index() || spec.rules == crate::scenario::Rules::default() {
                continue;
            }
            rule_of[g.index()] = Some(rules.len() as u32);
            rules.push(BalanceRule {
                separate: spec.rules.vms == Some(VmRule::Separate),
                hosts: group.host_masks.as_ref().map(|m| m.preferred.clone()),
            });
        }

        // Migrations decided but waiting for a slot, by VM: they will happen.
        let queued: BTreeMap<InstanceId, usize> = c
            .slots
            .waiting()
            .map(|(&(vm, _, _), _, dst)| (vm, dst))
            .collect();
        // Every placed instance of the cluster, grouped by host, with its claims. A VM on
        // its way elsewhere (migrating, or waiting for a slot) counts where it is going,
        // so that a pass does not send more VMs after it, and does not move it again.
        let mut on_host: Vec<Vec<(InstanceId, Claim, Claim)>> = vec![Vec::new(); n];
        for (id, inst) in self.instances.iter_with_ids() {
            let mut h = inst.host.index();
            if inst.host == HostId::NONE || h < first || h >= first + n {
                continue;
            }
            if inst.migrating_to != HostId::NONE {
                h = inst.migrating_to.index();
            } else if let Some(&dst) = queued.get(&id) {
                h = first + dst;
            }
            let view = &self.hosts[inst.host].view;
            let size_mhz = Request {
                cpu: inst.size_cpu,
                ..inst.request
            }
            .cpu_mhz_on(view) as f64;
            let shares = match inst.size_cpu {
                crate::scenario::CpuAmount::Millicores(m) => {
                    m as f64 / 1000.0 * NORMAL_SHARES_PER_VCPU
                }
                crate::scenario::CpuAmount::Mhz(m) => {
                    m as f64 / view.core_mhz.max(1) as f64 * NORMAL_SHARES_PER_VCPU
                }
            };
            let cpu = Claim {
                reservation: inst.cpu_reserved_mhz as f64,
                limit: size_mhz.max(inst.cpu_reserved_mhz as f64),
                demand: inst.cpu_demand_mhz as f64,
                shares: shares.max(1.0),
            };
            let mem = Claim {
                reservation: inst.mem_reserved as f64,
                limit: (inst.size_mem as f64).max(inst.mem_reserved as f64),
                demand: inst.mem_demand as f64,
                shares: (inst.size_mem as f64 / MIB * NORMAL_MEMORY_SHARES_PER_MB).max(1.0),
            };
            on_host[h - first].push((id, cpu, mem));
        }
        let mut vms = Vec::new();
        let mut claims = Vec::new();
        let mut ids = Vec::new();
        for (local, list) in on_host.iter().enumerate() {
            let cpu: Vec<Claim> = list.iter().map(|(_, c, _)| *c).collect();
            let mem: Vec<Claim> = list.iter().map(|(_, _, m)| *m).collect();
            let e_cpu = entitlements(hosts[local].cpu_capacity_mhz as f64, &cpu);
            let e_mem = entitlements(hosts[local].mem_capacity as f64, &mem);
            for (((id, c, m), ec), em) in list.iter().zip(e_cpu).zip(e_mem) {
                let inst = self.instances.get(*id).expect("listed above");
                let vm = BalanceVm {
                    host: local,
                    cpu_mhz: ec.round() as u64,
                    mem: em.round() as u64,
                    mem_size: inst.size_mem,
                    movable: !inst.is_pod
                        && inst.state == InstanceState::Running
                        && inst.migrating_to == HostId::NONE
                        && !queued.contains_key(id)
                        // VMs kept together move only as a group, which DRS does not do.
                        && self.groups[inst.group].spec.rules.vms != Some(VmRule::Together),
                    rule: rule_of[inst.group.index()],
                };
                claims.push(ScoreVm {
                    host: local,
                    cpu: *c,
                    mem: *m,
                    mem_size: vm.mem_size,
                    movable: vm.movable,
                    rule: vm.rule,
                });
                vms.push(vm);
                ids.push(*id);
            }
        }
        BalanceInput {
            hosts,
            vms,
            claims,
            rules,
            ids,
        }
    }
}
