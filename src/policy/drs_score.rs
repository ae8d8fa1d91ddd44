//! The `drs-score` balancing policy: vSphere 7's VM DRS score, as a pure decision.
//!
//! vSphere 7 re-designed DRS around the VM rather than the cluster: every minute (instead
//! of every five) it computes a *VM DRS score* per VM — how much of what the VM wants it
//! gets, given the contention on its host and the headroom left there — and moves VMs to
//! hosts where they would score better, instead of minimising the spread of host loads
//! (<https://techramblers.blog/2020/03/19/vsphere-7-0-drs-re-designed/>). VMware shows the
//! score in buckets of 0–20, 20–40, 40–60, 60–80 and 80–100 %, but does not publish its
//! formula; the one below is this model's, with every weight an **assumption** named so.
//!
//! # The VM DRS score
//!
//! On a host of CPU capacity `C` and memory `M`, every VM's entitlements follow from its
//! claims by the water-filling of [`entitlements`] (the same as classic DRS). A VM that
//! wants `w = max(reservation, min(demand, limit))` and is entitled to `e` runs at
//! *efficiency* `e / w` (1 when it wants nothing). The host's *headroom* is what is left
//! when every VM gets what it wants, in its scarcer resource:
//!
//! ```text
//! headroom = 1 − max( Σ w_cpu / C, Σ w_mem / M ),   clamped to [0, 1]
//! score    = 100 · min(eff_cpu, eff_mem) · (1 − W + W · min(1, headroom / H))
//! ```
//!
//! with `W = 0.2` (headroom weight) and `H = 0.2` (headroom goal): a VM with everything
//! it wants on a host with at least 20 % to spare scores 100; the same VM on a host with no
//! room to grow scores 80 (the top of the next bucket down), and a contended VM loses
//! score in proportion to what it is denied. The *cluster DRS score* is the mean over VMs
//! (and native pods, which count but never move).
//!
//! # A pass
//!
//! 1. Mandatory moves first, at every level, as the classic policy makes them
//!    ([`super::balance`]): VMs that break a rule go to the allowed host where the
//!    cluster's total score rises most (or falls least).
//! 2. At levels 2–5, greedily, up to `max_moves`: among the `candidate_vms` movable VMs
//!    with the lowest scores (below 100), and the `candidate_hosts` accepting hosts with
//!    the most headroom, take the move whose *cluster* gain `Δtotal` (the change of the
//!    sum of all scores, on both hosts, the moved VM included) is largest, provided that
//!    - the destination has room for the VM's reservations and the rules allow it,
//!    - `Δtotal` is at least the level's minimum gain, in score points: one VM lifted
//!      that much, or many lifted a little (moving one VM off a host with no headroom
//!      lifts every VM left there), net of what the destination's VMs lose,
//!    - the moved VM itself gains at least half that minimum (so that small shuffles of
//!      VMs that are already well off do not churn), and
//!    - it passes the cost-benefit check, in VM-seconds:
//!      `Δtotal / 100 · stable_period_s ≥ migration_cost_weight · mem_size / bandwidth`
//!      (benefit: the score regained, as a share of a VM, held over the stable period;
//!      cost: the vMotion's time at its CPU overhead).
//!
//! A recommendation's priority follows `Δtotal` in score points, so that a level-k
//! cluster applies the priorities ≤ k, as the classic threshold does:
//!
//! | Δtotal (points) | ≥ 20 | ≥ 10 | ≥ 5 | ≥ 1 |
//! |---|---|---|---|---|
//! | priority | 2 | 3 | 4 | 5 |
//!
//! (**assumption**: a level-2 move is worth a whole bucket of one VM's score, level 3 —
//! the default — half a bucket.) Measured on `scenarios/bench/drs-week.yaml` (64 hosts,
//! 4,000 diurnal VMs, passes every 5 minutes): over a week this policy makes 9,658
//! migrations for a mean cluster score of 97.8, the classic policy 3,374 for 98.9; over
//! the first day (a first-fit packed start) 3,483 against 3,071, scores 94.0 against
//! 94.4. Requiring only the moved VM's gain churned less but left hosts short of
//! headroom unrelieved (score 96.2 over the week); requiring only the cluster's gain
//! churned most (13,788 migrations). The weights are assumptions a user can study. The destinations are limited to the hosts with the most headroom and
//! the sources to the worst-scored VMs, so a step costs O(candidate_vms · candidate_hosts ·
//! k log k) for k VMs per host, not a scan of every (VM, host) pair.
//!
//! | parameter | default | source |
//! |---|---|---|
//! | interval | 1 min | vSphere 7 runs DRS every minute (techramblers, above) |
//! | `headroom_weight` W | 0.2 | **assumption** |
//! | `headroom_goal` H | 0.2 | **assumption** |
//! | `candidate_vms` | 16 | **assumption**: a search-width heuristic |
//! | `candidate_hosts` | 8 | **assumption**: a search-width heuristic |
//! | others | as [`BalanceParams`] | see [`super::balance`] |

use super::balance::{
    imbalance, BalanceHost, BalanceParams, BalancePass, BalanceRule, BalanceView, BalanceVm,
    Reason, Recommendation, RuleState,
};
use super::entitlement::{entitlements, Claim};

/// A VM (or pod) as the score policy sees it: its claims on CPU (MHz) and memory (bytes).
/// The claims are taken as the same on every host (a vCPU's MHz differ between host
/// types; the policy ignores that, as the classic one does).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreVm {
    pub host: usize,
    pub cpu: Claim,
    pub mem: Claim,
    /// Configured memory, bytes: what a vMotion copies.
    pub mem_size: u64,
    pub movable: bool,
    pub rule: Option<u32>,
}

/// The read-only input of a score pass.
#[derive(Clone, Copy, Debug)]
pub struct ScoreView<'a> {
    pub hosts: &'a [BalanceHost],
    pub vms: &'a [ScoreVm],
    pub rules: &'a [BalanceRule],
}

/// The score policy's own parameters, beside the balance ones it shares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreParams {
    pub balance: BalanceParams,
    pub headroom_weight: f64,
    pub headroom_goal: f64,
    pub candidate_vms: usize,
    pub candidate_hosts: usize,
}

impl Default for ScoreParams {
    fn default() -> Self {
        ScoreParams {
            balance: BalanceParams::default(),
            headroom_weight: 0.2,
            headroom_goal: 0.2,
            candidate_vms: 16,
            candidate_hosts: 8,
        }
    }
}

/// The least gain of the cluster's summed score (points) that a level-`level` cluster
/// applies;
/// `None` at level 1 (mandatory moves only).
pub fn min_gain(level: u8) -> Option<f64> {
    match level {
        0 | 1 => None,
        2 => Some(20.0),
        3 => Some(10.0),
        4 => Some(5.0),
        _ => Some(1.0),
    }
}

/// The priority of a move that lifts the cluster's summed score by `gain` points (see the
/// module table).
pub fn score_priority(gain: f64) -> u8 {
    if gain >= 20.0 {
        2
    } else if gain >= 10.0 {
        3
    } else if gain >= 5.0 {
        4
    } else {
        5
    }
}

/// The scores of the VMs of one host, given their claims.
fn host_scores(host: &BalanceHost, claims: &[(Claim, Claim)], p: &ScoreParams) -> Vec<f64> {
    let cpu: Vec<Claim> = claims.iter().map(|c| c.0).collect();
    let mem: Vec<Claim> = claims.iter().map(|c| c.1).collect();
    let e_cpu = entitlements(host.cpu_capacity_mhz as f64, &cpu);
    let e_mem = entitlements(host.mem_capacity as f64, &mem);
    let want_cpu: f64 = cpu.iter().map(Claim::want).sum();
    let want_mem: f64 = mem.iter().map(Claim::want).sum();
    let used = (want_cpu / host.cpu_capacity_mhz.max(1) as f64)
        .max(want_mem / host.mem_capacity.max(1) as f64);
    let headroom = (1.0 - used).clamp(0.0, 1.0);
    let w = p.headroom_weight.clamp(0.0, 1.0);
    let room = 1.0 - w + w * (headroom / p.headroom_goal.max(f64::MIN_POSITIVE)).min(1.0);
    let eff = |e: f64, c: &Claim| {
        let want = c.want();
        if want <= 0.0 {
            1.0
        } else {
            (e / want).min(1.0)
        }
    };
    (0..claims.len())
        .map(|i| 100.0 * eff(e_cpu[i], &cpu[i]).min(eff(e_mem[i], &mem[i])) * room)
        .collect()
}

/// Every VM's DRS score, in view order.
pub fn vm_scores(view: &ScoreView, p: &ScoreParams) -> Vec<f64> {
    let state = State::new(view, p);
    state.score
}

/// The per-pass state: which VMs are on each host, and their current scores.
struct State {
    on_host: Vec<Vec<u32>>,
    score: Vec<f64>,
    /// Sum of the scores of each host's VMs.
    host_sum: Vec<f64>,
    /// Reservations held on each host, CPU and memory.
    reserved: Vec<(f64, f64)>,
    /// Where each VM is now.
    at: Vec<usize>,
}

impl State {
    fn new(view: &ScoreView, p: &ScoreParams) -> Self {
        let h = view.hosts.len();
        let mut on_host = vec![Vec::new(); h];
        let mut reserved = vec![(0.0, 0.0); h];
        for (i, vm) in view.vms.iter().enumerate() {
            on_host[vm.host].push(i as u32);
            reserved[vm.host].0 += vm.cpu.reservation;
            reserved[vm.host].1 += vm.mem.reservation;
        }
        let mut s = State {
            on_host,
            score: vec![0.0; view.vms.len()],
            host_sum: vec![0.0; h],
            reserved,
            at: view.vms.iter().map(|v| v.host).collect(),
        };
        for host in 0..h {
            s.rescore(view, p, host);
        }
        s
    }

    fn claims(&self, view: &ScoreView, host: usize) -> Vec<(Claim, Claim)> {
        self.on_host[host]
            .iter()
            .map(|&v| (view.vms[v as usize].cpu, view.vms[v as usize].mem))
            .collect()
    }

    fn rescore(&mut self, view: &ScoreView, p: &ScoreParams, host: usize) {
        let scores = host_scores(&view.hosts[host], &self.claims(view, host), p);
        self.host_sum[host] = scores.iter().sum();
        for (&v, s) in self.on_host[host].iter().zip(scores) {
            self.score[v as usize] = s;
        }
    }

    fn total(&self) -> f64 {
        self.host_sum.iter().sum()
    }

    fn fits(&self, view: &ScoreView, vm: &ScoreVm, dst: usize) -> bool {
        let h = &view.hosts[dst];
        let (c, m) = self.reserved[dst];
        h.accepting
            && c + vm.cpu.reservation <= h.cpu_capacity_mhz as f64
            && m + vm.mem.reservation <= h.mem_capacity as f64
    }

    /// What moving VM `v` to `dst` would do: (the change of the total score, the VM's own
    /// score on `dst`).
    fn evaluate(&self, view: &ScoreView, p: &ScoreParams, v: u32, dst: usize) -> (f64, f64) {
        let src = self.at[v as usize];
        let vm = &view.vms[v as usize];
        let mut src_claims = Vec::with_capacity(self.on_host[src].len());
        for &o in &self.on_host[src] {
            if o != v {
                src_claims.push((view.vms[o as usize].cpu, view.vms[o as usize].mem));
            }
        }
        let mut dst_claims = self.claims(view, dst);
        dst_claims.push((vm.cpu, vm.mem));
        let src_sum: f64 = host_scores(&view.hosts[src], &src_claims, p).iter().sum();
        let dst_scores = host_scores(&view.hosts[dst], &dst_claims, p);
        let own = *dst_scores.last().expect("pushed");
        let dst_sum: f64 = dst_scores.iter().sum();
        (
            src_sum + dst_sum - self.host_sum[src] - self.host_sum[dst],
            own,
        )
    }

    fn shift(&mut self, view: &ScoreView, p: &ScoreParams, v: u32, dst: usize) {
        let src = self.at[v as usize];
        let vm = &view.vms[v as usize];
        let list = &mut self.on_host[src];
        list.retain(|&o| o != v);
        self.on_host[dst].push(v);
        self.reserved[src].0 -= vm.cpu.reservation;
        self.reserved[src].1 -= vm.mem.reservation;
        self.reserved[dst].0 += vm.cpu.reservation;
        self.reserved[dst].1 += vm.mem.reservation;
        self.at[v as usize] = dst;
        self.rescore(view, p, src);
        self.rescore(view, p, dst);
    }

    /// Accepting hosts by headroom, most first (ties to the lowest index).
    fn roomiest(&self, view: &ScoreView, k: usize) -> Vec<usize> {
        let used = |h: usize| {
            let (mut c, mut m) = (0.0, 0.0);
            for &v in &self.on_host[h] {
                c += view.vms[v as usize].cpu.want();
                m += view.vms[v as usize].mem.want();
            }
            (c / view.hosts[h].cpu_capacity_mhz.max(1) as f64)
                .max(m / view.hosts[h].mem_capacity.max(1) as f64)
        };
        let mut hosts: Vec<(f64, usize)> = (0..view.hosts.len())
            .filter(|&h| view.hosts[h].accepting)
            .map(|h| (used(h), h))
            .collect();
        hosts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        hosts.truncate(k);
        hosts.into_iter().map(|(_, h)| h).collect()
    }
}

/// The entitlements view of a score input, for the imbalance the pass also reports.
fn as_balance(view: &ScoreView, at: &[usize]) -> (Vec<BalanceVm>, f64) {
    let h = view.hosts.len();
    let mut per_host: Vec<Vec<usize>> = vec![Vec::new(); h];
    for (i, &host) in at.iter().enumerate() {
        per_host[host].push(i);
    }
    let mut vms: Vec<BalanceVm> = view
        .vms
        .iter()
        .map(|v| BalanceVm {
            host: v.host,
            cpu_mhz: 0,
            mem: 0,
            mem_size: v.mem_size,
            movable: v.movable,
            rule: v.rule,
        })
        .collect();
    for (host, list) in per_host.iter().enumerate() {
        let cpu: Vec<Claim> = list.iter().map(|&i| view.vms[i].cpu).collect();
        let mem: Vec<Claim> = list.iter().map(|&i| view.vms[i].mem).collect();
        let ec = entitlements(view.hosts[host].cpu_capacity_mhz as f64, &cpu);
        let em = entitlements(view.hosts[host].mem_capacity as f64, &mem);
        for ((&i, c), m) in list.iter().zip(ec).zip(em) {
            vms[i].host = host;
            vms[i].cpu_mhz = c.round() as u64;
            vms[i].mem = m.round() as u64;
        }
    }
    let b = imbalance(
        &BalanceView {
            hosts: view.hosts,
            vms: &vms,
            rules: view.rules,
        },
        BalanceParams::default().cpu_weight,
    );
    (vms, b.combined)
}

/// One `drs-score` pass over `view`.
pub fn score_pass(view: &ScoreView, params: &ScoreParams) -> BalancePass {
    let bp = &params.balance;
    let level = bp.level.clamp(1, 5);
    let mut state = State::new(view, params);
    let (balance_vms, imbalance_before) = as_balance(view, &state.at);
    let n = view.hosts.iter().filter(|h| h.accepting).count();
    let vm_count = view.vms.len().max(1) as f64;
    let mut pass = BalancePass {
        policy: "drs-score",
        level,
        hosts: n,
        imbalance_before,
        target: None,
        imbalance_after: imbalance_before,
        score_before: Some(state.total() / vm_count),
        score_after: None,
        recommendations: Vec::new(),
    };
    let mut moved = vec![false; view.vms.len()];
    let movable = |v: usize, state: &State, moved: &[bool]| {
        view.vms[v].movable && !moved[v] && view.hosts[state.at[v]].accepting
    };

    // 1. Mandatory moves: repair broken rules.
    let bview = BalanceView {
        hosts: view.hosts,
        vms: &balance_vms,
        rules: view.rules,
    };
    let mut rules = RuleState::new(&bview);
    for v in rules.broken(&bview) {
        if pass.recommendations.len() >= bp.max_moves {
            break;
        }
        let v = v as usize;
        if !movable(v, &state, &moved) {
            continue;
        }
        let vm = &view.vms[v];
        let here = state.at[v];
        let best = (0..view.hosts.len())
            .filter(|&d| {
                d != here && state.fits(view, vm, d) && rules.allows(&bview, &balance_vms[v], d)
            })
            .map(|d| (state.evaluate(view, params, v as u32, d), d))
            .max_by(|a, b| a.0 .0.total_cmp(&b.0 .0).then(b.1.cmp(&a.1)));
        let Some(((dt, own), dst)) = best else {
            continue;
        };
        pass.recommendations.push(Recommendation {
            vm: v,
            from: here,
            to: dst,
            reason: Reason::Rule,
            priority: 1,
            gain: dt / vm_count,
            score_from: Some(state.score[v]),
            score_to: Some(own),
        });
        rules.shift(&balance_vms[v], dst);
        state.shift(view, params, v as u32, dst);
        moved[v] = true;
    }

    // 2. Score moves.
    if let Some(least) = min_gain(level) {
        let cost_per_byte = bp.migration_cost_weight / bp.migration_bandwidth;
        while pass.recommendations.len() < bp.max_moves {
            let mut worst: Vec<usize> = (0..view.vms.len())
                .filter(|&v| movable(v, &state, &moved) && state.score[v] < 100.0)
                .collect();
            worst.sort_by(|&a, &b| state.score[a].total_cmp(&state.score[b]).then(a.cmp(&b)));
            worst.truncate(params.candidate_vms.max(1));
            let dests = state.roomiest(view, params.candidate_hosts.max(1));
            let mut best: Option<(f64, f64, usize, usize)> = None; // (Δtotal, own, vm, dst)
            for &v in &worst {
                let vm = &view.vms[v];
                for &d in &dests {
                    if d == state.at[v]
                        || !state.fits(view, vm, d)
                        || !rules.allows(&bview, &balance_vms[v], d)
                    {
                        continue;
                    }
                    let (dt, own) = state.evaluate(view, params, v as u32, d);
                    if dt < least || own - state.score[v] < least / 2.0 {
                        continue;
                    }
                    if dt / 100.0 * bp.stable_period_s < cost_per_byte * vm.mem_size as f64 {
                        continue;
                    }
                    if best.is_none_or(|b| dt > b.0 + 1e-9) {
                        best = Some((dt, own, v, d));
                    }
                }
            }
            let Some((dt, own, v, dst)) = best else { break };
            pass.recommendations.push(Recommendation {
                vm: v,
                from: state.at[v],
                to: dst,
                reason: Reason::Score,
                priority: score_priority(dt),
                gain: dt / vm_count,
                score_from: Some(state.score[v]),
                score_to: Some(own),
            });
            rules.shift(&balance_vms[v], dst);
            state.shift(view, params, v as u32, dst);
            moved[v] = true;
        }
    }
    pass.score_after = Some(state.total() / vm_count);
    pass.imbalance_after = as_balance(view, &state.at).1;
    pass
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: f64 = (1u64 << 30) as f64;

    fn host(cpu_mhz: u64, mem_gib: u64) -> BalanceHost {
        BalanceHost {
            cpu_capacity_mhz: cpu_mhz,
            mem_capacity: mem_gib << 30,
            accepting: true,
        }
    }

    /// A VM with no reservation, a limit of its size and the given demand; shares by size.
    fn vm(host: usize, size_mhz: f64, demand_mhz: f64, mem_gib: f64) -> ScoreVm {
        ScoreVm {
            host,
            cpu: Claim {
                reservation: 0.0,
                limit: size_mhz,
                demand: demand_mhz,
                shares: size_mhz,
            },
            mem: Claim {
                reservation: 0.0,
                limit: mem_gib * GIB,
                demand: mem_gib * GIB,
                shares: mem_gib,
            },
            mem_size: (mem_gib * GIB) as u64,
            movable: true,
            rule: None,
        }
    }

    fn pass(hosts: &[BalanceHost], vms: &[ScoreVm], level: u8) -> BalancePass {
        let params = ScoreParams {
            balance: BalanceParams {
                level,
                ..BalanceParams::default()
            },
            ..ScoreParams::default()
        };
        score_pass(
            &ScoreView {
                hosts,
                vms,
                rules: &[],
            },
            &params,
        )
    }

    fn scores(hosts: &[BalanceHost], vms: &[ScoreVm]) -> Vec<f64> {
        vm_scores(
            &ScoreView {
                hosts,
                vms,
                rules: &[],
            },
            &ScoreParams::default(),
        )
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_score_follows_contention_and_headroom() {
        // 10 GHz host. One VM wanting 4 GHz: no contention, 60 % headroom: 100.
        let h = [host(10_000, 100)];
        assert!(close(scores(&h, &[vm(0, 4000.0, 4000.0, 10.0)])[0], 100.0));
        // Wanting 9 GHz: no contention, 10 % headroom, half the 20 % goal: 100 · 0.9.
        assert!(close(scores(&h, &[vm(0, 9000.0, 9000.0, 10.0)])[0], 90.0));
        // Two VMs wanting 8 GHz each on 10 GHz, equal shares: each gets 5, efficiency
        // 5/8, no headroom: 100 · 0.625 · 0.8 = 50.
        let two = [vm(0, 8000.0, 8000.0, 10.0), vm(0, 8000.0, 8000.0, 10.0)];
        for s in scores(&h, &two) {
            assert!(close(s, 50.0), "{s}");
        }
        // Memory contention counts the same way: two 60 GiB VMs in 100 GiB get 50 each.
        let mem = [vm(0, 100.0, 100.0, 60.0), vm(0, 100.0, 100.0, 60.0)];
        for s in scores(&h, &mem) {
            assert!(close(s, 100.0 * (50.0 / 60.0) * 0.8), "{s}");
        }
    }

    #[test]
    fn a_contended_vm_moves_to_the_idle_host_and_the_cluster_score_rises() {
        let hosts = [host(10_000, 100), host(10_000, 100)];
        let vms = [vm(0, 8000.0, 8000.0, 10.0), vm(0, 8000.0, 8000.0, 10.0)];
        let p = pass(&hosts, &vms, 3);
        assert_eq!(p.policy, "drs-score");
        assert_eq!(p.recommendations.len(), 1, "{p:#?}");
        let r = &p.recommendations[0];
        assert_eq!((r.vm, r.from, r.to, r.reason), (0, 0, 1, Reason::Score));
        // From 50 to 100 · (1 − 0.2 + 0.2 · 0.2 / 0.2)… on its own host with 20 % left: 100.
        assert!(close(r.score_from.unwrap(), 50.0));
        assert!(close(r.score_to.unwrap(), 100.0));
        assert_eq!(r.priority, 2);
        assert!(close(p.score_before.unwrap(), 50.0));
        assert!(close(p.score_after.unwrap(), 100.0));
        assert!(p.imbalance_after < p.imbalance_before);
    }

    #[test]
    fn level_1_and_small_gains_move_nothing() {
        let hosts = [host(10_000, 100), host(10_000, 100)];
        let vms = [vm(0, 8000.0, 8000.0, 10.0), vm(0, 8000.0, 8000.0, 10.0)];
        assert!(pass(&hosts, &vms, 1).recommendations.is_empty());
        // A VM at 90 (10 % headroom) could reach 100 elsewhere: a gain of 10, enough at
        // level 3 but not at level 2 (which asks for 20).
        let vms = [vm(0, 9000.0, 9000.0, 10.0)];
        let hosts3 = [host(10_000, 100), host(20_000, 100)];
        assert!(pass(&hosts3, &vms, 2).recommendations.is_empty());
        let p = pass(&hosts3, &vms, 3);
        assert_eq!(p.recommendations.len(), 1);
        assert_eq!(p.recommendations[0].priority, 3);
    }

    #[test]
    fn a_move_that_hurts_the_destination_more_than_it_helps_is_refused() {
        // Host 1 is already full of happy VMs with no headroom to spare: moving the
        // contended VM there would contend them all.
        let hosts = [host(10_000, 100), host(10_000, 100)];
        let mut vms = vec![vm(0, 6000.0, 6000.0, 10.0), vm(0, 6000.0, 6000.0, 10.0)];
        for _ in 0..8 {
            vms.push(vm(1, 1000.0, 1000.0, 10.0));
        }
        for v in vms.iter_mut().skip(2) {
            v.movable = false;
        }
        let before: f64 = scores(&hosts, &vms).iter().sum();
        let p = pass(&hosts, &vms, 5);
        for r in &p.recommendations {
            assert!(r.gain > 0.0);
        }
        assert!(p.score_after.unwrap() * vms.len() as f64 >= before - 1e-9);
    }

    #[test]
    fn reservations_keep_a_vm_off_a_full_host() {
        let hosts = [host(10_000, 100), host(10_000, 100)];
        let mut vms = vec![vm(0, 8000.0, 8000.0, 10.0), vm(0, 8000.0, 8000.0, 10.0)];
        let mut blocker = vm(1, 1000.0, 100.0, 10.0);
        blocker.cpu.reservation = 9000.0;
        blocker.movable = false;
        vms.push(blocker);
        let p = pass(&hosts, &vms, 5);
        assert!(
            p.recommendations.iter().all(|r| r.to != 1),
            "{:#?}",
            p.recommendations
        );
    }
}
