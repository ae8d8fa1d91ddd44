//! NSX: edge nodes, L4 load balancers, pools of members with their active health
//! monitors, and the distributed load balancer's per-host instances.
//!
//! The pool is a reusable component: it knows members only by slot, weight and address
//! key. Its owner (a Service's endpoints in `traffic.rs`; later the supervisor's API
//! servers) adds and removes members, says whether each one answers, and asks the pool
//! for a member per new connection ([`Pool::pick`]) and tells it when the connection
//! closes ([`Pool::close`]). The decision itself is `policy::lb`'s; the pool keeps what
//! the decision reads (rotation, ring, least-connection index) and rebuilds it only when
//! membership or health changes, so a pick costs O(1) (round robin), O(log n) (least
//! connection, IP hash) plus the members in slow start.
//!
//! A pool has one or more **balancers**: the instances that make decisions, each with its
//! own round-robin cursor and its own count of the connections it opened. A central load
//! balancer on an edge is one balancer; NSX's distributed load balancer runs one per ESXi
//! host, and each sees only the connections of its own host's clients (what a
//! least-connection choice there can know).
//!
//! The supervisor's API path (three API-server VMs behind an NSX L4 load balancer) uses
//! it the same way: `World::add_pool` (which starts the monitor), `add_balancer` once for
//! the central load balancer, `add_member` per API server (its weight and address),
//! `set_answers` when a VM fails or comes back, `LoadBalancer::admit` for the size's
//! rate cap, then `pick` and `close` per request; `Observer::member_health` reports the
//! monitor's verdicts.
//!
//! **Edges** forward traffic at a finite rate shared by everything that crosses them (the
//! load balancers on it and the tier-1 gateway): a first-come, first-served queue of
//! `bytes / throughput` per traversal, computed by Lindley's recursion
//! (`depart = max(arrive, previous depart) + service`), so it costs no events. Traversals
//! are served in the order the simulation reaches them, which can differ from their
//! arrival order by the difference of two path latencies (microseconds).
//!
//! **Load balancer size** caps new connections per second with a token bucket of one
//! second's worth of connections (the bucket depth is an assumption); a connection over
//! the cap is refused and counted.

use super::event::Event;
use super::world::{Observer, World};
use crate::engine::{SimDuration, SimTime};
use crate::policy::lb::{
    self, after_probe, Algorithm, HashRing, Health, LcKey, LeastConnIndex, MonitorParams, PoolView,
    Ramping, WEIGHT_ONE,
};
use crate::scenario::{LbSize, NetworkSpec};

/// An NSX edge node's forwarding queue and what crossed it.
#[derive(Clone, Debug)]
pub struct EdgeNode {
    pub name: String,
    pub bytes_per_s: f64,
    /// When the edge finishes what it has been given so far.
    free_at: SimTime,
    pub traversals: u64,
    pub bytes: u64,
    /// Total time traversals waited behind others, and spent being forwarded.
    pub wait: SimDuration,
    pub busy: SimDuration,
}

impl EdgeNode {
    pub fn new(name: String, bytes_per_s: f64) -> Self {
        EdgeNode {
            name,
            bytes_per_s,
            free_at: SimTime::ZERO,
            traversals: 0,
            bytes: 0,
            wait: SimDuration::ZERO,
            busy: SimDuration::ZERO,
        }
    }

    /// `bytes` reach the edge at `arrive`; returns when they leave it.
    #[inline]
    pub fn traverse(&mut self, arrive: SimTime, bytes: u64) -> SimTime {
        // Rounded to the nearest nanosecond (non-negative, so `+ 0.5` and truncation).
        let service = SimDuration((bytes as f64 / self.bytes_per_s * 1e9 + 0.5) as u64);
        let start = arrive.max(self.free_at);
        self.wait = self.wait + start.since(arrive);
        self.busy = self.busy + service;
        self.traversals += 1;
        self.bytes += bytes;
        self.free_at = start + service;
        self.free_at
    }
}

/// An NSX load balancer instance (a "load balancer service" on a tier-1 gateway).
#[derive(Clone, Debug)]
pub struct LoadBalancer {
    pub name: String,
    pub edge: u32,
    pub size: LbSize,
    /// New connections per second accepted.
    pub cps: f64,
    tokens: f64,
    last: SimTime,
    pub accepted: u64,
    pub refused: u64,
}

impl LoadBalancer {
    pub fn new(name: String, edge: u32, size: LbSize, cps: f64) -> Self {
        LoadBalancer {
            name,
            edge,
            size,
            cps,
            tokens: cps,
            last: SimTime::ZERO,
            accepted: 0,
            refused: 0,
        }
    }

    /// Whether a new connection at `now` fits under the connections-per-second cap.
    #[inline]
    pub fn admit(&mut self, now: SimTime) -> bool {
        let dt = now.since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.cps).min(self.cps);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.accepted += 1;
            true
        } else {
            self.refused += 1;
            false
        }
    }
}

/// Whether a member answers, as its health monitor finds out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    Yes,
    /// Connections are refused: a probe fails at once.
    Refuses,
    /// Nothing answers: a probe fails when it times out.
    Silent,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub present: bool,
    pub weight: u32,
    /// The member's address, for the hash ring.
    pub key: u64,
    pub health: Health,
    pub answers: Answers,
    /// When it last came up (joined, or passed its monitor again): slow start's origin.
    pub up_since: SimTime,
}

/// One decision-making instance of a pool.
#[derive(Clone, Debug)]
pub struct Balancer {
    /// Connections this balancer opened and that are still open, by member slot.
    conns: Vec<u32>,
    /// When each member was last chosen (a counter).
    stamps: Vec<u64>,
    least: LeastConnIndex,
    ramping: Vec<Ramping>,
    cursor: usize,
    clock: u64,
}

impl Balancer {
    fn new(slots: usize) -> Self {
        Balancer {
            conns: vec![0; slots],
            stamps: vec![0; slots],
            least: LeastConnIndex::new(slots),
            ramping: Vec::new(),
            cursor: 0,
            clock: 1,
        }
    }
}

/// A pool of members behind a virtual server, with its monitor.
#[derive(Clone, Debug)]
pub struct Pool {
    pub name: String,
    pub algorithm: Algorithm,
    pub monitor: MonitorParams,
    pub slow_start: SimDuration,
    pub members: Vec<Member>,
    free: Vec<u32>,
    rotation: Vec<u32>,
    ring: HashRing,
    pub balancers: Vec<Balancer>,
    /// Members present and up.
    pub up: u32,
}

impl Pool {
    pub fn new(
        name: String,
        algorithm: Algorithm,
        monitor: MonitorParams,
        slow_start: SimDuration,
    ) -> Self {
        Pool {
            name,
            algorithm,
            monitor,
            slow_start: if algorithm.slow_start() {
                slow_start
            } else {
                SimDuration::ZERO
            },
            members: Vec::new(),
            free: Vec::new(),
            rotation: Vec::new(),
            ring: HashRing::default(),
            balancers: Vec::new(),
            up: 0,
        }
    }

    /// A new balancer instance; returns its index.
    pub fn add_balancer(&mut self, now: SimTime) -> u32 {
        self.balancers.push(Balancer::new(self.members.len()));
        let b = self.balancers.len() - 1;
        self.rebuild_balancer(b, now);
        b as u32
    }

    /// Adds a member (up, in slow start); returns its slot.
    pub fn add_member(&mut self, now: SimTime, weight: u32, key: u64) -> u32 {
        let m = Member {
            present: true,
            weight,
            key,
            health: Health::UP,
            answers: Answers::Yes,
            up_since: now,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.members[s as usize] = m;
                s
            }
            None => {
                self.members.push(m);
                (self.members.len() - 1) as u32
            }
        };
        self.refresh(now);
        slot
    }

    /// Removes a member; its open connections are forgotten.
    pub fn remove_member(&mut self, now: SimTime, slot: u32) {
        let s = slot as usize;
        self.members[s].present = false;
        for b in &mut self.balancers {
            b.conns[s] = 0;
        }
        self.free.push(slot);
        self.refresh(now);
    }

    fn eligible(&self, s: usize) -> bool {
        let m = &self.members[s];
        m.present && m.health.up
    }

    fn weight_of(&self, s: usize) -> u32 {
        if self.algorithm.uses_weights() {
            self.members[s].weight
        } else {
            1
        }
    }

    /// Rebuilds what decisions read after a membership or health change.
    fn refresh(&mut self, now: SimTime) {
        let up: Vec<usize> = (0..self.members.len())
            .filter(|&s| self.eligible(s))
            .collect();
        self.up = up.len() as u32;
        if self.algorithm.rotates() {
            let weights: Vec<(u32, u32)> =
                up.iter().map(|&s| (s as u32, self.weight_of(s))).collect();
            self.rotation = lb::rotation(&weights);
        }
        if self.algorithm == Algorithm::IpHash {
            self.ring = HashRing::build(up.iter().map(|&s| (s as u32, self.members[s].key)));
        }
        for b in 0..self.balancers.len() {
            self.rebuild_balancer(b, now);
        }
    }

    fn rebuild_balancer(&mut self, b: usize, now: SimTime) {
        let slots = self.members.len();
        let counts = self.algorithm.counts_connections();
        let bal = &mut self.balancers[b];
        if bal.conns.len() < slots {
            bal.conns.resize(slots, 0);
            bal.stamps.resize(slots, 0);
        }
        if !counts {
            return;
        }
        if bal.least.slots() < slots {
            bal.least = LeastConnIndex::new(slots);
        }
        bal.ramping.clear();
        for s in 0..bal.least.slots() {
            let key =
                (s < slots && self.members[s].present && self.members[s].health.up).then(|| {
                    let m = &self.members[s];
                    (m, self.algorithm.uses_weights())
                });
            let entry = match key {
                None => None,
                Some((m, weighted)) => {
                    let w = if weighted { m.weight } else { 1 };
                    if lb::ramping(m.up_since, now, self.slow_start) {
                        bal.ramping.push(Ramping {
                            member: s as u32,
                            conns: bal.conns[s],
                            weight: w,
                            up_since: m.up_since,
                            stamp: bal.stamps[s],
                        });
                        None
                    } else {
                        Some(LcKey {
                            conns: bal.conns[s],
                            weight: w * WEIGHT_ONE,
                            stamp: bal.stamps[s],
                        })
                    }
                }
            };
            bal.least.set(s as u32, entry);
        }
    }

    /// The member that takes a new connection from a client of address hash `client`
    /// through balancer `b`, which opens it; None when no member is up.
    #[inline]
    pub fn pick(&mut self, now: SimTime, b: u32, client: u64) -> Option<u32> {
        let bal = &mut self.balancers[b as usize];
        if !bal.ramping.is_empty() {
            // Members whose ramp is over join the index.
            let slow_start = self.slow_start;
            let least = &mut bal.least;
            bal.ramping.retain(|r| {
                let still = lb::ramping(r.up_since, now, slow_start);
                if !still {
                    least.set(
                        r.member,
                        Some(LcKey {
                            conns: r.conns,
                            weight: r.weight * WEIGHT_ONE,
                            stamp: r.stamp,
                        }),
                    );
                }
                still
            });
        }
        let view = PoolView {
            algorithm: self.algorithm,
            rotation: &self.rotation,
            cursor: bal.cursor,
            ring: &self.ring,
            least: &bal.least,
            ramping: &bal.ramping,
            now,
            slow_start: self.slow_start,
        };
        let m = lb::pick(&view, client)?;
        let s = m as usize;
        bal.conns[s] += 1;
        bal.stamps[s] = bal.clock;
        bal.clock += 1;
        if self.algorithm.rotates() {
            bal.cursor = (bal.cursor + 1) % self.rotation.len().max(1);
        } else if self.algorithm.counts_connections() {
            Self::update_key(bal, m);
        }
        Some(m)
    }

    /// A connection that balancer `b` opened to member `m` closed.
    #[inline]
    pub fn close(&mut self, b: u32, m: u32) {
        let bal = &mut self.balancers[b as usize];
        let c = &mut bal.conns[m as usize];
        *c = c.saturating_sub(1);
        if self.algorithm.counts_connections() {
            Self::update_key(bal, m);
        }
    }

    fn update_key(bal: &mut Balancer, m: u32) {
        let (conns, stamp) = (bal.conns[m as usize], bal.stamps[m as usize]);
        if let Some(mut k) = bal.least.key(m) {
            k.conns = conns;
            k.stamp = stamp;
            bal.least.set(m, Some(k));
        } else if let Some(r) = bal.ramping.iter_mut().find(|r| r.member == m) {
            r.conns = conns;
            r.stamp = stamp;
        }
    }

    /// Connections open to member `m` over all balancers.
    pub fn open_connections(&self, m: u32) -> u32 {
        self.balancers.iter().map(|b| b.conns[m as usize]).sum()
    }

    /// Says whether member `m` answers (its health monitor finds out at its next probes).
    pub fn set_answers(&mut self, m: u32, answers: Answers) {
        self.members[m as usize].answers = answers;
    }

    /// Applies a probe result to member `m`; returns the new state if it changed.
    pub fn probe_result(&mut self, now: SimTime, m: u32, ok: bool) -> Option<bool> {
        let member = &mut self.members[m as usize];
        if !member.present {
            return None;
        }
        let before = member.health.up;
        member.health = after_probe(member.health, ok, &self.monitor);
        if member.health.up == before {
            return None;
        }
        let up = member.health.up;
        if up {
            member.up_since = now;
        }
        self.refresh(now);
        Some(up)
    }
}

/// NSX's part of the world.
#[derive(Clone, Debug, Default)]
pub struct Nsx {
    pub edges: Vec<EdgeNode>,
    pub lbs: Vec<LoadBalancer>,
    pub pools: Vec<Pool>,
    /// The edge of the tier-1 gateway (cross-segment traffic).
    pub gateway: u32,
}

impl Nsx {
    pub fn new(spec: &NetworkSpec) -> Nsx {
        Nsx {
            edges: spec
                .edges
                .iter()
                .map(|e| EdgeNode::new(e.name.clone(), e.bytes_per_s))
                .collect(),
            lbs: spec
                .load_balancers
                .iter()
                .map(|l| LoadBalancer::new(l.name.clone(), l.edge as u32, l.size, l.cps))
                .collect(),
            pools: Vec::new(),
            gateway: spec.gateway as u32,
        }
    }
}

impl World {
    /// Adds a pool and schedules its health monitor's first round, `interval` from
    /// `now`; returns the pool's index.
    pub fn add_pool(&mut self, now: SimTime, pool: Pool) -> u32 {
        let first = now + pool.monitor.interval;
        self.nsx.pools.push(pool);
        let p = (self.nsx.pools.len() - 1) as u32;
        if first <= self.end {
            self.queue
                .schedule_at(first, Event::HealthProbe { pool: p });
        }
        p
    }

    /// Health monitor -> pool: probe every member; a silent member's probe fails when it
    /// times out.
    pub(super) fn on_health_probe<O: Observer>(&mut self, now: SimTime, pool: u32, obs: &mut O) {
        let p = pool as usize;
        let monitor = self.nsx.pools[p].monitor;
        for m in 0..self.nsx.pools[p].members.len() as u32 {
            let member = &self.nsx.pools[p].members[m as usize];
            if !member.present {
                continue;
            }
            match member.answers {
                Answers::Yes => self.apply_probe(now, pool, m, true, obs),
                Answers::Refuses => self.apply_probe(now, pool, m, false, obs),
                Answers::Silent => {
                    self.queue.schedule_at(
                        now + monitor.timeout,
                        Event::ProbeTimeout { pool, member: m },
                    );
                }
            }
        }
        let next = now + monitor.interval;
        if next <= self.end {
            self.queue.schedule_at(next, Event::HealthProbe { pool });
        }
    }

    /// A probe sent to a silent member timed out.
    pub(super) fn on_probe_timeout<O: Observer>(
        &mut self,
        now: SimTime,
        pool: u32,
        member: u32,
        obs: &mut O,
    ) {
        self.apply_probe(now, pool, member, false, obs);
    }

    fn apply_probe<O: Observer>(&mut self, now: SimTime, pool: u32, m: u32, ok: bool, obs: &mut O) {
        if let Some(up) = self.nsx.pools[pool as usize].probe_result(now, m, ok) {
            obs.member_health(now, self, pool, m, up);
        }
    }
}

/// Connections per second of one load-balancer process: 10,000. Assumption: NSX does not
/// publish L4 connection rates per size; KB 316296 gives only the processes per size.
pub const CPS_PER_LB_PROCESS: f64 = 10_000.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(alg: Algorithm) -> Pool {
        Pool::new("p".into(), alg, MonitorParams::default(), SimDuration::ZERO)
    }

    #[test]
    fn round_robin_cycles_over_up_members_and_skips_a_down_one() {
        let mut p = pool(Algorithm::RoundRobin);
        let b = p.add_balancer(SimTime::ZERO);
        for k in 0..3 {
            p.add_member(SimTime::ZERO, 1, k);
        }
        let picks: Vec<u32> = (0..6)
            .map(|_| p.pick(SimTime::ZERO, b, 0).unwrap())
            .collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
        for _ in 0..3 {
            p.probe_result(SimTime::ZERO, 1, false);
        }
        assert_eq!(p.up, 2);
        let picks: Vec<u32> = (0..4)
            .map(|_| p.pick(SimTime::ZERO, b, 0).unwrap())
            .collect();
        assert!(picks.iter().all(|&m| m != 1), "{picks:?}");
    }

    #[test]
    fn least_connection_sends_to_the_member_with_fewest_open() {
        let mut p = pool(Algorithm::LeastConnection);
        let b = p.add_balancer(SimTime::ZERO);
        for k in 0..3 {
            p.add_member(SimTime::ZERO, 1, k);
        }
        // Three picks spread over the three members (ties: chosen longest ago).
        let mut first: Vec<u32> = (0..3)
            .map(|_| p.pick(SimTime::ZERO, b, 0).unwrap())
            .collect();
        first.sort();
        assert_eq!(first, vec![0, 1, 2]);
        p.close(b, 2);
        assert_eq!(p.pick(SimTime::ZERO, b, 0), Some(2));
        assert_eq!(p.open_connections(2), 1);
    }

    #[test]
    fn a_pool_with_nobody_up_gives_nothing_and_a_removed_slot_is_reused() {
        let mut p = pool(Algorithm::WeightedLeastConnection);
        let b = p.add_balancer(SimTime::ZERO);
        assert_eq!(p.pick(SimTime::ZERO, b, 0), None);
        let m = p.add_member(SimTime::ZERO, 2, 9);
        assert_eq!(p.pick(SimTime::ZERO, b, 0), Some(m));
        p.remove_member(SimTime::ZERO, m);
        assert_eq!(p.pick(SimTime::ZERO, b, 0), None);
        assert_eq!(p.add_member(SimTime::ZERO, 1, 10), m);
        assert_eq!(p.open_connections(m), 0);
    }

    #[test]
    fn the_token_bucket_caps_connections_per_second() {
        let mut lb = LoadBalancer::new("lb".into(), 0, LbSize::Small, 100.0);
        let accepted = (0..1000)
            .filter(|i| lb.admit(SimTime(i * 1_000_000))) // 1000 attempts over 1 s
            .count();
        // A full bucket (100) plus the refill over the second (about 100).
        assert!((195..=201).contains(&accepted), "{accepted}");
        assert_eq!(lb.refused as usize, 1000 - accepted);
    }

    #[test]
    fn the_edge_queues_what_arrives_while_it_is_busy() {
        let mut e = EdgeNode::new("e".into(), 1e9); // 1 GB/s: 1 MB takes 1 ms
        let a = e.traverse(SimTime(0), 1_000_000);
        assert_eq!(a, SimTime(1_000_000));
        let b = e.traverse(SimTime(500_000), 1_000_000);
        assert_eq!(b, SimTime(2_000_000), "waited 0.5 ms behind the first");
        assert_eq!(e.wait, SimDuration(500_000));
        let c = e.traverse(SimTime(5_000_000), 1_000_000);
        assert_eq!(c, SimTime(6_000_000), "idle again: no wait");
    }
}
