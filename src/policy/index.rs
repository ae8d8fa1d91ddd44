//! Indexes that let a placement policy find its host without scanning every host.
//!
//! A policy's choice is "the best-ranked host among those that fit". The model keeps two
//! structures per cluster, updated in O(log H) whenever a host changes:
//!
//! - a [`FitTree`], a segment tree over hosts holding the largest free CPU, free memory
//!   and core count below each node. It answers "which is the lowest-numbered host that
//!   fits?" (first-fit) by descending only into subtrees that can fit, and tells at once
//!   when nothing fits anywhere (and why);
//! - the hosts ordered by the policy's ranking key (load for least-loaded, free capacity
//!   for best-fit): for best-fit an ordered set walked from the first host with enough
//!   free capacity until a host fits; for least-loaded a tournament tree searched by
//!   branch and bound (see [`RankOrder`]).
//!
//! Both give exactly the host that filtering all hosts and taking the best score gives
//! (`PlacementPolicy::place_by_scan`); a property test holds them to it.

use super::view::{HostView, Request};
use crate::scenario::CpuAmount;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// Sort key of a host: the ratio `num / den`, then the host index. Ratios compare exactly
/// by cross-multiplication, so equal loads tie to the lowest index, never to rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RankKey {
    pub num: u64,
    pub den: u64,
    pub host: u32,
}

impl Ord for RankKey {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        let by_ratio = if self.den == o.den && self.den != 0 {
            // Same denominator (identical hosts, or best-fit's 1): no products needed.
            self.num.cmp(&o.num)
        } else {
            let a = self.num as u128 * o.den as u128;
            let b = o.num as u128 * self.den as u128;
            a.cmp(&b)
        };
        by_ratio.then(self.host.cmp(&o.host))
    }
}

impl PartialOrd for RankKey {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Node {
    free_mhz: u64,
    free_milli: u64,
    free_mem: u64,
    cores: u32,
    any_accepting: bool,
}

impl Node {
    fn leaf(h: &HostView) -> Node {
        if !h.accepting {
            return Node::default();
        }
        Node {
            free_mhz: h.free_cpu_mhz(),
            free_milli: h.free_millicores(),
            free_mem: h.free_mem(),
            cores: h.cores,
            any_accepting: true,
        }
    }

    fn merge(a: Node, b: Node) -> Node {
        Node {
            free_mhz: a.free_mhz.max(b.free_mhz),
            free_milli: a.free_milli.max(b.free_milli),
            free_mem: a.free_mem.max(b.free_mem),
            cores: a.cores.max(b.cores),
            any_accepting: a.any_accepting || b.any_accepting,
        }
    }

    fn cpu_may_fit(&self, r: &Request) -> bool {
        match r.cpu {
            CpuAmount::Mhz(m) => self.free_mhz >= m,
            CpuAmount::Millicores(mc) => self.free_milli >= mc,
        }
    }

    /// False only if no host below can fit `r` (never prunes a fitting host).
    fn may_fit(&self, r: &Request) -> bool {
        self.any_accepting
            && self.cores >= r.vcpus
            && self.free_mem >= r.memory
            && self.cpu_may_fit(r)
    }
}

/// Segment tree of per-host maxima.
#[derive(Clone, Debug)]
pub struct FitTree {
    size: usize,
    nodes: Vec<Node>,
}

/// Why nothing fits, read off the tree's root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortage {
    NoHostAccepting,
    Cpu,
    Memory,
    Cores,
    /// Each resource is free somewhere, but no one host has all of them.
    NotOnOneHost,
}

impl FitTree {
    pub fn new(hosts: &[HostView]) -> Self {
        let size = hosts.len().next_power_of_two().max(1);
        let mut t = FitTree {
            size,
            nodes: vec![Node::default(); 2 * size],
        };
        for (i, h) in hosts.iter().enumerate() {
            t.nodes[size + i] = Node::leaf(h);
        }
        for i in (1..size).rev() {
            t.nodes[i] = Node::merge(t.nodes[2 * i], t.nodes[2 * i + 1]);
        }
        t
    }

    pub fn update(&mut self, host: usize, h: &HostView) {
        let mut i = self.size + host;
        let mut cur = Node::leaf(h);
        self.nodes[i] = cur;
        while i > 1 {
            cur = Node::merge(cur, self.nodes[i ^ 1]);
            i /= 2;
            if self.nodes[i] == cur {
                break; // nothing above changes either
            }
            self.nodes[i] = cur;
        }
    }

    /// Whether some host might fit (exact for a single resource kind).
    pub fn may_fit(&self, r: &Request) -> bool {
        self.nodes[1].may_fit(r)
    }

    /// The lowest-numbered host that fits and that `allowed` accepts.
    pub fn first_fit(
        &self,
        hosts: &[HostView],
        r: &Request,
        allowed: &impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.descend(1, hosts, r, allowed)
    }

    fn descend(
        &self,
        node: usize,
        hosts: &[HostView],
        r: &Request,
        allowed: &impl Fn(usize) -> bool,
    ) -> Option<usize> {
        if !self.nodes[node].may_fit(r) {
            return None;
        }
        if node >= self.size {
            let host = node - self.size;
            return (host < hosts.len() && r.fits(&hosts[host]) && allowed(host)).then_some(host);
        }
        self.descend(2 * node, hosts, r, allowed)
            .or_else(|| self.descend(2 * node + 1, hosts, r, allowed))
    }

    /// The reason nothing fits, from the cluster-wide maxima.
    pub fn shortage(&self, r: &Request) -> Shortage {
        let root = &self.nodes[1];
        if !root.any_accepting {
            Shortage::NoHostAccepting
        } else if !root.cpu_may_fit(r) {
            Shortage::Cpu
        } else if root.free_mem < r.memory {
            Shortage::Memory
        } else if root.cores < r.vcpus {
            Shortage::Cores
        } else {
            Shortage::NotOnOneHost
        }
    }
}

/// How a [`HostIndex`] keeps the hosts in rank order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankOrder {
    /// No ranking (first-fit): only the fit tree.
    Unranked,
    /// A sorted set of the keys, walked upwards from a bound until a host fits. Suits
    /// best-fit, whose best-ranked hosts (the fullest) mostly do not fit, so the walk
    /// starts at the first host with enough free capacity.
    Sorted,
    /// A tournament tree over the hosts, in the fit tree's shape, holding the key of the
    /// best-ranked host below each node. If the overall best (the root's) fits, that is
    /// the answer; otherwise a branch-and-bound descent enters a subtree only if the fit
    /// tree says something there may fit and the subtree's best key beats the best
    /// fitting host found so far. Suits least-loaded, whose best-ranked host (the least
    /// loaded) nearly always fits: a decision is then O(1), and an update walks one path
    /// of the tree (stopping where nothing changes), much cheaper than removing and
    /// inserting a key in a sorted set.
    Tournament,
}

/// The tournament entry of a node with no ranked host below it.
const NO_KEY: RankKey = RankKey {
    num: 0,
    den: 0,
    host: u32::MAX,
};

/// The better-ranked of two tournament entries (`NO_KEY` loses to any host).
#[inline(always)]
fn min_key(a: RankKey, b: RankKey) -> RankKey {
    if b.host == NO_KEY.host || (a.host != NO_KEY.host && a <= b) {
        a
    } else {
        b
    }
}

/// The per-cluster placement index: the fit tree, and the hosts in rank order when the
/// policy ranks them.
#[derive(Clone, Debug)]
pub struct HostIndex {
    pub fit: FitTree,
    order: RankOrder,
    /// `RankOrder::Sorted`: the keys of the ranked hosts.
    ranked: BTreeSet<RankKey>,
    /// `RankOrder::Tournament`: the key of the best-ranked host below each node
    /// (`NO_KEY` if none), indexed like `fit.nodes`. Keys are stored, not host numbers,
    /// so that walking the tree never jumps to a host's key elsewhere in memory.
    winners: Vec<RankKey>,
    keys: Vec<Option<RankKey>>,
    rank: fn(&HostView, u32) -> Option<RankKey>,
    /// No host has slower cores than this (a lower bound, kept without a scan).
    min_core_mhz: u32,
}

impl HostIndex {
    /// `rank` gives a host's key, or `None` when the policy keeps no ranking. The hosts
    /// are kept in a sorted set (see [`RankOrder::Sorted`]).
    pub fn new(hosts: &[HostView], rank: fn(&HostView, u32) -> Option<RankKey>) -> Self {
        Self::with_order(hosts, rank, RankOrder::Sorted)
    }

    /// An index that keeps the ranking in the given structure.
    pub fn with_order(
        hosts: &[HostView],
        rank: fn(&HostView, u32) -> Option<RankKey>,
        order: RankOrder,
    ) -> Self {
        let keys: Vec<Option<RankKey>> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                if h.accepting && order != RankOrder::Unranked {
                    rank(h, i as u32)
                } else {
                    None
                }
            })
            .collect();
        let fit = FitTree::new(hosts);
        let mut index = HostIndex {
            order,
            ranked: BTreeSet::new(),
            winners: Vec::new(),
            rank,
            min_core_mhz: hosts.iter().map(|h| h.core_mhz).min().unwrap_or(0),
            fit,
            keys,
        };
        match order {
            RankOrder::Unranked => {}
            RankOrder::Sorted => index.ranked = index.keys.iter().flatten().copied().collect(),
            RankOrder::Tournament => {
                let size = index.fit.size;
                let mut w = vec![NO_KEY; 2 * size];
                for (i, k) in index.keys.iter().enumerate() {
                    w[size + i] = k.unwrap_or(NO_KEY);
                }
                for n in (1..size).rev() {
                    w[n] = min_key(w[2 * n], w[2 * n + 1]);
                }
                index.winners = w;
            }
        }
        index
    }

    /// Call after any change to host `i`.
    pub fn update(&mut self, i: usize, h: &HostView) {
        self.fit.update(i, h);
        self.min_core_mhz = self.min_core_mhz.min(h.core_mhz);
        if self.order == RankOrder::Unranked {
            return;
        }
        let new = if h.accepting {
            (self.rank)(h, i as u32)
        } else {
            None
        };
        if new == self.keys[i] {
            return;
        }
        let old = std::mem::replace(&mut self.keys[i], new);
        match self.order {
            RankOrder::Unranked => {}
            RankOrder::Sorted => {
                if let Some(old) = old {
                    self.ranked.remove(&old);
                }
                if let Some(k) = new {
                    self.ranked.insert(k);
                }
            }
            RankOrder::Tournament => {
                let mut n = self.fit.size + i;
                let mut cur = new.unwrap_or(NO_KEY);
                self.winners[n] = cur;
                while n > 1 {
                    cur = min_key(cur, self.winners[n ^ 1]);
                    n /= 2;
                    // A node whose entry is unchanged leaves everything above unchanged.
                    if self.winners[n] == cur {
                        break;
                    }
                    self.winners[n] = cur;
                }
            }
        }
    }

    /// A lower bound of the hosts' core speed in MHz (exact unless a host's cores got
    /// faster after the index was built).
    pub fn min_core_mhz(&self) -> u32 {
        self.min_core_mhz
    }

    /// Hosts in rank order, starting at the first key not below `from`. Only an index
    /// kept [`RankOrder::Sorted`] lists hosts here; use [`HostIndex::best_ranked_fit`].
    pub fn ranked_from(&self, from: RankKey) -> impl Iterator<Item = usize> + '_ {
        self.ranked.range(from..).map(|k| k.host as usize)
    }

    /// The best-ranked host that fits `r`, or `None`. `from` is a key that no fitting
    /// host ranks below (a hint where to start: it never changes the answer). Unranked
    /// indexes return `None`.
    pub fn best_ranked_fit(
        &self,
        hosts: &[HostView],
        r: &Request,
        from: Option<RankKey>,
        allowed: &impl Fn(usize) -> bool,
    ) -> Option<usize> {
        match self.order {
            RankOrder::Unranked => None,
            RankOrder::Sorted => {
                let from = from.unwrap_or(RankKey {
                    num: 0,
                    den: 1,
                    host: 0,
                });
                self.ranked_from(from)
                    .find(|&h| r.fits(&hosts[h]) && allowed(h))
            }
            RankOrder::Tournament => {
                let top = self.winners[1];
                if top.host == NO_KEY.host {
                    return None;
                }
                // Nearly always, the best-ranked host fits: no descent at all.
                if r.fits(&hosts[top.host as usize]) && allowed(top.host as usize) {
                    return Some(top.host as usize);
                }
                let mut best = NO_KEY;
                self.search(1, hosts, r, allowed, &mut best);
                (best.host != NO_KEY.host).then_some(best.host as usize)
            }
        }
    }

    /// Branch and bound over the tournament tree below `node`: `best` is the best fitting
    /// host found so far.
    fn search(
        &self,
        node: usize,
        hosts: &[HostView],
        r: &Request,
        allowed: &impl Fn(usize) -> bool,
        best: &mut RankKey,
    ) {
        let w = self.winners[node];
        if w.host == NO_KEY.host || !self.fit.nodes[node].may_fit(r) {
            return;
        }
        if best.host != NO_KEY.host && *best < w {
            return; // nothing below beats the host found
        }
        if node >= self.fit.size {
            if r.fits(&hosts[w.host as usize]) && allowed(w.host as usize) {
                *best = w;
            }
            return;
        }
        // The child holding this subtree's winner first.
        let first = if self.winners[2 * node] == w {
            2 * node
        } else {
            2 * node + 1
        };
        self.search(first, hosts, r, allowed, best);
        self.search(first ^ 1, hosts, r, allowed, best);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(free_mhz: u64, free_mem: u64) -> HostView {
        HostView {
            cores: 4,
            core_mhz: 1000,
            cpu_capacity_mhz: 4000,
            mem_capacity: 100,
            cpu_reserved_mhz: 4000 - free_mhz,
            mem_reserved: 100 - free_mem,
            accepting: true,
            ..Default::default()
        }
    }

    #[test]
    fn first_fit_skips_hosts_that_lack_either_resource() {
        let hosts = [
            host(500, 100),
            host(3000, 10),
            host(3000, 60),
            host(4000, 100),
        ];
        let t = FitTree::new(&hosts);
        let r = Request {
            cpu: CpuAmount::Millicores(2000),
            memory: 50,
            vcpus: 0,
        };
        assert_eq!(t.first_fit(&hosts, &r, &|_| true), Some(2));
    }

    #[test]
    fn shortage_names_the_missing_resource() {
        let hosts = [host(500, 100), host(3000, 10)];
        let t = FitTree::new(&hosts);
        let mk = |mc, mem| Request {
            cpu: CpuAmount::Millicores(mc),
            memory: mem,
            vcpus: 0,
        };
        assert_eq!(t.shortage(&mk(3500, 1)), Shortage::Cpu);
        assert_eq!(t.shortage(&mk(100, 200)), Shortage::Memory);
        assert_eq!(t.shortage(&mk(2000, 50)), Shortage::NotOnOneHost);
        assert_eq!(t.first_fit(&hosts, &mk(2000, 50), &|_| true), None);
    }

    #[test]
    fn tournament_and_sorted_set_find_the_best_ranked_fit_after_many_updates() {
        // Least-loaded by CPU over 300 hosts of three speeds, some off; after each random
        // update, both structures must give the lowest (load, host) among fitting hosts.
        let rank: fn(&HostView, u32) -> Option<RankKey> = |h, i| {
            Some(RankKey {
                num: h.cpu_demand_mhz,
                den: h.cpu_capacity_mhz.max(1),
                host: i,
            })
        };
        let mut x: u64 = 99;
        let mut next = move |n: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        let mut random_host = |i: u64| {
            let core_mhz = [1000, 2000, 3000][(i % 3) as usize];
            let cap = 8 * core_mhz as u64;
            let reserved = next(cap + 1);
            HostView {
                cores: 8,
                core_mhz,
                cpu_capacity_mhz: cap,
                mem_capacity: 64,
                cpu_reserved_mhz: reserved,
                mem_reserved: next(65),
                cpu_demand_mhz: reserved / 2 + next(cap / 2),
                mem_demand: 0,
                accepting: next(10) != 0,
            }
        };
        let mut hosts: Vec<HostView> = (0..300).map(&mut random_host).collect();
        let mut tour = HostIndex::with_order(&hosts, rank, RankOrder::Tournament);
        let mut sorted = HostIndex::with_order(&hosts, rank, RankOrder::Sorted);
        for step in 0..3000u64 {
            let i = (step * 7919) as usize % hosts.len();
            hosts[i] = random_host(step);
            tour.update(i, &hosts[i]);
            sorted.update(i, &hosts[i]);
            let r = Request {
                cpu: CpuAmount::Millicores(500 * (1 + step % 16)),
                memory: step % 40,
                vcpus: 0,
            };
            let want = hosts
                .iter()
                .enumerate()
                .filter(|(_, h)| r.fits(h))
                .min_by_key(|(i, h)| rank(h, *i as u32))
                .map(|(i, _)| i);
            assert_eq!(
                tour.best_ranked_fit(&hosts, &r, None, &|_| true),
                want,
                "step {step}"
            );
            assert_eq!(
                sorted.best_ranked_fit(&hosts, &r, None, &|_| true),
                want,
                "step {step}"
            );
        }
    }

    #[test]
    fn rank_keys_compare_ratios_exactly_and_tie_on_host() {
        let a = RankKey {
            num: 1,
            den: 3,
            host: 5,
        };
        let b = RankKey {
            num: 2,
            den: 6,
            host: 2,
        };
        assert!(b < a, "equal ratios order by host");
        assert!(
            RankKey {
                num: 1,
                den: 4,
                host: 9
            } < b
        );
    }
}
