//! Indexes that let a placement policy find its host without scanning every host.
//!
//! A policy's choice is "the best-ranked host among those that fit". The model keeps two
//! structures per cluster, updated in O(log H) whenever a host changes:
//!
//! - a [`FitTree`], a segment tree over hosts holding the largest free CPU, free memory
//!   and core count below each node. It answers "which is the lowest-numbered host that
//!   fits?" (first-fit) by descending only into subtrees that can fit, and tells at once
//!   when nothing fits anywhere (and why);
//! - an ordered set of the hosts by the policy's ranking key (load for least-loaded,
//!   free capacity for best-fit), walked from the best until a host fits.
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
    fn cmp(&self, o: &Self) -> Ordering {
        let a = self.num as u128 * o.den as u128;
        let b = o.num as u128 * self.den as u128;
        a.cmp(&b).then(self.host.cmp(&o.host))
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
        self.nodes[i] = Node::leaf(h);
        while i > 1 {
            i /= 2;
            let merged = Node::merge(self.nodes[2 * i], self.nodes[2 * i + 1]);
            if self.nodes[i] == merged {
                break;
            }
            self.nodes[i] = merged;
        }
    }

    /// Whether some host might fit (exact for a single resource kind).
    pub fn may_fit(&self, r: &Request) -> bool {
        self.nodes[1].may_fit(r)
    }

    /// The lowest-numbered host that fits.
    pub fn first_fit(&self, hosts: &[HostView], r: &Request) -> Option<usize> {
        self.descend(1, hosts, r)
    }

    fn descend(&self, node: usize, hosts: &[HostView], r: &Request) -> Option<usize> {
        if !self.nodes[node].may_fit(r) {
            return None;
        }
        if node >= self.size {
            let host = node - self.size;
            return (host < hosts.len() && r.fits(&hosts[host])).then_some(host);
        }
        self.descend(2 * node, hosts, r)
            .or_else(|| self.descend(2 * node + 1, hosts, r))
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

/// The per-cluster placement index: the fit tree, and the hosts in rank order when the
/// policy ranks them.
#[derive(Clone, Debug)]
pub struct HostIndex {
    pub fit: FitTree,
    ranked: BTreeSet<RankKey>,
    keys: Vec<Option<RankKey>>,
    rank: fn(&HostView, u32) -> Option<RankKey>,
}

impl HostIndex {
    /// `rank` gives a host's key, or `None` when the policy keeps no ranking.
    pub fn new(hosts: &[HostView], rank: fn(&HostView, u32) -> Option<RankKey>) -> Self {
        let keys: Vec<Option<RankKey>> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| if h.accepting { rank(h, i as u32) } else { None })
            .collect();
        HostIndex {
            fit: FitTree::new(hosts),
            ranked: keys.iter().flatten().copied().collect(),
            keys,
            rank,
        }
    }

    /// Call after any change to host `i`.
    pub fn update(&mut self, i: usize, h: &HostView) {
        self.fit.update(i, h);
        let new = if h.accepting {
            (self.rank)(h, i as u32)
        } else {
            None
        };
        if new != self.keys[i] {
            if let Some(old) = self.keys[i] {
                self.ranked.remove(&old);
            }
            if let Some(k) = new {
                self.ranked.insert(k);
            }
            self.keys[i] = new;
        }
    }

    /// Hosts in rank order, starting at the first key not below `from`.
    pub fn ranked_from(&self, from: RankKey) -> impl Iterator<Item = usize> + '_ {
        self.ranked.range(from..).map(|k| k.host as usize)
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
        assert_eq!(t.first_fit(&hosts, &r), Some(2));
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
        assert_eq!(t.first_fit(&hosts, &mk(2000, 50)), None);
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
