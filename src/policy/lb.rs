//! NSX L4 load-balancing decisions: which pool member takes a new connection, and what an
//! active health monitor concludes from a probe.
//!
//! The algorithms are NSX-T's `PoolAlgorithm` values (NSX-T Data Center REST API,
//! `PoolAlgorithm` schema), with ROUND_ROBIN the default:
//!
//! | algorithm | choice | weights | slow start |
//! |---|---|---|---|
//! | `ROUND_ROBIN` | the next up member in turn | ignored | no |
//! | `WEIGHTED_ROUND_ROBIN` | the next in a cycle where member *i* appears `wᵢ` times, interleaved | yes | no |
//! | `LEAST_CONNECTION` | fewest open connections | ignored | yes |
//! | `WEIGHTED_LEAST_CONNECTION` | fewest connections per unit of weight | yes | yes |
//! | `IP_HASH` | consistent hash of the client address | ignored | no |
//!
//! Everything here is pure: a decision reads a [`PoolView`] (the members that are up, the
//! rotation and its cursor, the hash ring, the least-connection index) and returns a member;
//! the model (`model/nsx.rs`) keeps that state and carries the decision out. The structures
//! the model keeps for the policy ([`rotation`], [`HashRing`], [`LeastConnIndex`]) live
//! here, as the placement index does, so that each decision costs O(1) or O(log n):
//!
//! - **Weighted round robin** is a precomputed cycle of `Σ wᵢ` slots built by stride
//!   scheduling (Waldspurger & Weihl, 1995): member *i*'s picks fall at
//!   `(2k + 1) / 2wᵢ` for `k < wᵢ`, merged in order, so the picks of a heavy member are
//!   spread through the cycle instead of bunched. With all weights 1 it is plain round
//!   robin in member order.
//! - **Least connection** compares `(connections + 1) / weight` by cross-multiplication,
//!   HAProxy's `leastconn` key (`fwlc_queue_srv`); the `+ 1` makes a member in slow start
//!   (small effective weight) unattractive even when it has no connections yet. Ties go
//!   to the member chosen longest ago, so equally loaded members take turns. A tournament
//!   tree keeps the best member at its root.
//! - **Slow start**: a member that just came up has its weight ramped linearly from
//!   nothing to its configured weight over `slow_start` (HAProxy's `slowstart` and
//!   NGINX's `slow_start` work the same way; NSX does not publish its ramp). Ramping
//!   members are kept out of the tree and compared one by one; there are rarely more than
//!   a few.
//! - **IP hash** is a consistent-hash ring (Karger et al., 1997) with 160 points per
//!   member, libketama's figure: a client maps to the first point at or after its hash.
//!   While membership is unchanged a client always reaches the same member; when a member
//!   leaves, only its clients move.
//!
//! The health monitor ([`after_probe`]) follows NSX's active monitors: a member that is up
//! goes down after `fall_count` consecutive failed probes, and a member that is down comes
//! back after `rise_count` consecutive successes (defaults interval 5 s, fall 3, rise 3,
//! timeout 15 s: `vmware/terraform-provider-nsxt`'s LB monitor schema).

use crate::engine::{SimDuration, SimTime};

/// An NSX load-balancing algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    WeightedRoundRobin,
    LeastConnection,
    WeightedLeastConnection,
    IpHash,
}

/// The algorithms as a scenario names them, with what they do (`pacsim policies`).
pub const CATALOGUE: [(&str, &str); 5] = [
    (
        "ROUND_ROBIN",
        "each up member in turn; weights ignored (the NSX default)",
    ),
    (
        "WEIGHTED_ROUND_ROBIN",
        "in turn, member i taking w_i of every sum(w) connections, interleaved",
    ),
    (
        "LEAST_CONNECTION",
        "the member with the fewest open connections; weights ignored; slow start",
    ),
    (
        "WEIGHTED_LEAST_CONNECTION",
        "the fewest (connections + 1) per unit of weight; slow start",
    ),
    (
        "IP_HASH",
        "consistent hash of the client address: a client keeps its member while membership is unchanged",
    ),
];

impl Algorithm {
    pub const ALL: [Algorithm; 5] = [
        Algorithm::RoundRobin,
        Algorithm::WeightedRoundRobin,
        Algorithm::LeastConnection,
        Algorithm::WeightedLeastConnection,
        Algorithm::IpHash,
    ];

    /// The NSX name, e.g. `LEAST_CONNECTION`.
    pub fn name(self) -> &'static str {
        CATALOGUE[Algorithm::ALL
            .iter()
            .position(|a| *a == self)
            .expect("listed")]
        .0
    }

    /// The algorithm an NSX name stands for.
    pub fn parse(name: &str) -> Option<Algorithm> {
        CATALOGUE
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| Algorithm::ALL[i])
    }

    /// Whether member weights change the choice.
    pub fn uses_weights(self) -> bool {
        matches!(
            self,
            Algorithm::WeightedRoundRobin | Algorithm::WeightedLeastConnection
        )
    }

    /// Whether a member that just came up is ramped in (NSX: "slow start would be enabled
    /// by default" for the two least-connection algorithms).
    pub fn slow_start(self) -> bool {
        matches!(
            self,
            Algorithm::LeastConnection | Algorithm::WeightedLeastConnection
        )
    }

    /// Whether the choice reads the rotation (round robin, weighted or not).
    pub fn rotates(self) -> bool {
        matches!(self, Algorithm::RoundRobin | Algorithm::WeightedRoundRobin)
    }

    /// Whether the choice reads open connections.
    pub fn counts_connections(self) -> bool {
        self.slow_start()
    }
}

/// Fixed-point scale of effective weights: a configured weight `w` is `w * WEIGHT_ONE`,
/// so a ramping member's fraction of its weight keeps ten bits of precision.
pub const WEIGHT_ONE: u32 = 1024;

/// The effective weight (in `WEIGHT_ONE` units) of a member of configured `weight` that
/// came up at `up_since`: ramped linearly over `slow_start`, never below one unit.
pub fn ramped_weight(weight: u32, up_since: SimTime, now: SimTime, slow_start: SimDuration) -> u32 {
    let full = weight * WEIGHT_ONE;
    let elapsed = now.since(up_since).0;
    if slow_start.0 == 0 || elapsed >= slow_start.0 {
        return full;
    }
    let w = (full as u128 * elapsed as u128 / slow_start.0 as u128) as u32;
    w.max(1)
}

/// Whether a member of configured `weight` that came up at `up_since` is still ramping.
pub fn ramping(up_since: SimTime, now: SimTime, slow_start: SimDuration) -> bool {
    now.since(up_since) < slow_start
}

/// The weighted-round-robin cycle of `members` (`(member, weight)`, weights >= 1): member
/// *i* appears `wᵢ` times, at the stride-scheduling positions `(2k + 1) / 2wᵢ`, ties to
/// the lower member. With all weights 1, the members in the order given.
pub fn rotation(members: &[(u32, u32)]) -> Vec<u32> {
    let mut picks: Vec<(u32, u32, u32)> = Vec::new(); // (k, weight, member)
    for &(m, w) in members {
        for k in 0..w.max(1) {
            picks.push((k, w.max(1), m));
        }
    }
    // Compare (2ka + 1) / 2wa with (2kb + 1) / 2wb exactly.
    picks.sort_by(|a, b| {
        let x = (2 * a.0 as u64 + 1) * b.1 as u64;
        let y = (2 * b.0 as u64 + 1) * a.1 as u64;
        x.cmp(&y).then(a.2.cmp(&b.2))
    });
    picks.into_iter().map(|(_, _, m)| m).collect()
}

/// A 64-bit mix (SplitMix64's finaliser): spreads keys over the ring.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Points per member on the ring: libketama's 160.
pub const RING_POINTS: u32 = 160;

/// A consistent-hash ring over the members that are up.
#[derive(Clone, Debug, Default)]
pub struct HashRing {
    /// (point, member), sorted.
    points: Vec<(u64, u32)>,
}

impl HashRing {
    /// The ring of `members`: `(member, key)` where `key` is the member's stable identity
    /// (its address), so a member has the same points whatever else is in the pool.
    pub fn build(members: impl Iterator<Item = (u32, u64)>) -> HashRing {
        let mut points = Vec::new();
        for (m, key) in members {
            for r in 0..RING_POINTS as u64 {
                points.push((mix64(key ^ mix64(r.wrapping_add(0x9E37_79B9_7F4A_7C15))), m));
            }
        }
        points.sort_unstable();
        HashRing { points }
    }

    /// The member a client with address hash `client` maps to (None on an empty ring).
    pub fn lookup(&self, client: u64) -> Option<u32> {
        if self.points.is_empty() {
            return None;
        }
        let h = mix64(client);
        let i = self.points.partition_point(|&(p, _)| p < h);
        Some(self.points[if i == self.points.len() { 0 } else { i }].1)
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// A member's standing for least connection: open connections, effective weight (in
/// [`WEIGHT_ONE`] units, > 0) and when it was last chosen (smaller = longer ago).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LcKey {
    pub conns: u32,
    pub weight: u32,
    pub stamp: u64,
}

impl LcKey {
    /// Strictly better for a new connection: fewer `(conns + 1) / weight`, then chosen
    /// longer ago.
    #[inline]
    pub fn better(&self, o: &LcKey) -> bool {
        let a = (self.conns as u64 + 1) * o.weight as u64;
        let b = (o.conns as u64 + 1) * self.weight as u64;
        a < b || (a == b && self.stamp < o.stamp)
    }
}

const NONE: u32 = u32::MAX;

/// A node of the tournament tree: the best slot below it and that slot's key (copied, so
/// a comparison reads the two children and nothing else).
#[derive(Clone, Copy, Debug)]
struct Node {
    slot: u32,
    key: LcKey,
}

const EMPTY: Node = Node {
    slot: NONE,
    key: LcKey {
        conns: 0,
        weight: 1,
        stamp: 0,
    },
};

/// A tournament tree over member slots: the root holds the slot with the best [`LcKey`]
/// among the eligible ones. Setting a slot's key costs O(log n).
#[derive(Clone, Debug, Default)]
pub struct LeastConnIndex {
    size: usize,
    /// `tree[size + slot]` is the slot's leaf (EMPTY if not eligible); inner nodes the
    /// better of their children.
    tree: Vec<Node>,
}

impl LeastConnIndex {
    /// An index over `slots` member slots, none eligible.
    pub fn new(slots: usize) -> Self {
        let size = slots.max(1).next_power_of_two();
        LeastConnIndex {
            size,
            tree: vec![EMPTY; 2 * size],
        }
    }

    pub fn slots(&self) -> usize {
        self.size
    }

    #[inline]
    fn better_of(a: Node, b: Node) -> Node {
        if a.slot == NONE || (b.slot != NONE && b.key.better(&a.key)) {
            b
        } else {
            a
        }
    }

    /// Makes `slot` eligible with `key`, or not eligible (`None`).
    #[inline]
    pub fn set(&mut self, slot: u32, key: Option<LcKey>) {
        let s = slot as usize;
        debug_assert!(s < self.size, "slot {s} beyond the index");
        let mut i = self.size + s;
        self.tree[i] = match key {
            Some(key) => Node { slot, key },
            None => EMPTY,
        };
        while i > 1 {
            i /= 2;
            self.tree[i] = Self::better_of(self.tree[2 * i], self.tree[2 * i + 1]);
        }
    }

    pub fn key(&self, slot: u32) -> Option<LcKey> {
        let n = self.tree.get(self.size + slot as usize)?;
        (n.slot != NONE).then_some(n.key)
    }

    /// The best eligible slot.
    #[inline]
    pub fn best(&self) -> Option<(u32, LcKey)> {
        let n = self.tree[1];
        (n.slot != NONE).then_some((n.slot, n.key))
    }
}

/// A member in slow start, as the policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ramping {
    pub member: u32,
    pub conns: u32,
    /// Configured weight (1 for LEAST_CONNECTION).
    pub weight: u32,
    pub up_since: SimTime,
    pub stamp: u64,
}

/// What a balancing decision may read.
pub struct PoolView<'a> {
    pub algorithm: Algorithm,
    /// The round-robin cycle of the members that are up, and where it stands.
    pub rotation: &'a [u32],
    pub cursor: usize,
    pub ring: &'a HashRing,
    /// Up members out of slow start, by their least-connection key.
    pub least: &'a LeastConnIndex,
    /// Up members in slow start.
    pub ramping: &'a [Ramping],
    pub now: SimTime,
    pub slow_start: SimDuration,
}

/// The member that takes a new connection from a client whose address hashes to
/// `client`, or None when no member is up.
pub fn pick(v: &PoolView, client: u64) -> Option<u32> {
    match v.algorithm {
        Algorithm::RoundRobin | Algorithm::WeightedRoundRobin => {
            (!v.rotation.is_empty()).then(|| v.rotation[v.cursor % v.rotation.len()])
        }
        Algorithm::IpHash => v.ring.lookup(client),
        Algorithm::LeastConnection | Algorithm::WeightedLeastConnection => {
            let mut best = v.least.best();
            for r in v.ramping {
                let key = LcKey {
                    conns: r.conns,
                    weight: ramped_weight(r.weight, r.up_since, v.now, v.slow_start),
                    stamp: r.stamp,
                };
                if best.is_none_or(|(_, b)| key.better(&b)) {
                    best = Some((r.member, key));
                }
            }
            best.map(|(m, _)| m)
        }
    }
}

/// Settings of an active health monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonitorParams {
    /// Time between probes of a member.
    pub interval: SimDuration,
    /// How long a probe waits for an answer before it counts as failed.
    pub timeout: SimDuration,
    /// Consecutive failures that take an up member down.
    pub fall_count: u32,
    /// Consecutive successes that bring a down member back.
    pub rise_count: u32,
}

impl Default for MonitorParams {
    /// NSX-T's defaults: interval 5 s, timeout 15 s, fall 3, rise 3
    /// (`vmware/terraform-provider-nsxt`, LB monitor schema).
    fn default() -> Self {
        MonitorParams {
            interval: SimDuration::from_secs(5),
            timeout: SimDuration::from_secs(15),
            fall_count: 3,
            rise_count: 3,
        }
    }
}

/// A member's health as its monitor sees it: up or down, and how many consecutive probe
/// results have gone against that state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    pub up: bool,
    pub streak: u32,
}

impl Health {
    /// A member that joins the pool: up (its pod passed Kubernetes' readiness to become
    /// an endpoint), with no contrary results.
    pub const UP: Health = Health {
        up: true,
        streak: 0,
    };
}

/// The health after one probe result (`ok`: the member answered in time).
pub fn after_probe(h: Health, ok: bool, p: &MonitorParams) -> Health {
    match (h.up, ok) {
        (true, true) | (false, false) => Health {
            up: h.up,
            streak: 0,
        },
        (true, false) if h.streak + 1 >= p.fall_count => Health {
            up: false,
            streak: 0,
        },
        (false, true) if h.streak + 1 >= p.rise_count => Health {
            up: true,
            streak: 0,
        },
        _ => Health {
            up: h.up,
            streak: h.streak + 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.name()), Some(a));
        }
        assert_eq!(Algorithm::parse("LEAST_CONNECTIONS"), None);
        assert_eq!(Algorithm::RoundRobin.name(), "ROUND_ROBIN");
    }

    #[test]
    fn weighted_rotation_gives_each_member_its_weight_interleaved() {
        let r = rotation(&[(0, 3), (1, 1)]);
        // Positions: member 0 at 1/6, 3/6, 5/6; member 1 at 1/2 (tie with 3/6 -> member 0).
        assert_eq!(r, vec![0, 0, 1, 0]);
        let plain = rotation(&[(4, 1), (7, 1), (9, 1)]);
        assert_eq!(
            plain,
            vec![4, 7, 9],
            "all weights 1 is round robin in order"
        );
        let r = rotation(&[(0, 2), (1, 2), (2, 1)]);
        assert_eq!(r.iter().filter(|&&m| m == 0).count(), 2);
        assert_eq!(r.iter().filter(|&&m| m == 2).count(), 1);
        assert_eq!(r.len(), 5);
    }

    #[test]
    fn the_ring_is_stable_and_a_leaving_member_moves_only_its_clients() {
        let keys: Vec<(u32, u64)> = (0..5).map(|m| (m, 1000 + m as u64)).collect();
        let full = HashRing::build(keys.iter().copied());
        let without_2 = HashRing::build(keys.iter().copied().filter(|(m, _)| *m != 2));
        let mut moved = 0;
        let mut counts = [0u32; 5];
        for c in 0..10_000u64 {
            let a = full.lookup(c).unwrap();
            assert_eq!(full.lookup(c), Some(a), "deterministic");
            counts[a as usize] += 1;
            let b = without_2.lookup(c).unwrap();
            if a != 2 {
                assert_eq!(a, b, "client {c} moved although its member stayed");
            } else {
                moved += 1;
                assert_ne!(b, 2);
            }
        }
        assert_eq!(moved, counts[2]);
        // 160 points each spread clients within about +-25% of even.
        for c in counts {
            assert!((1500..2500).contains(&c), "{counts:?}");
        }
        assert_eq!(HashRing::default().lookup(1), None);
    }

    #[test]
    fn least_connection_picks_fewest_then_longest_ago() {
        let mut idx = LeastConnIndex::new(3);
        let k = |conns, stamp| {
            Some(LcKey {
                conns,
                weight: WEIGHT_ONE,
                stamp,
            })
        };
        idx.set(0, k(2, 0));
        idx.set(1, k(1, 5));
        idx.set(2, k(1, 3));
        assert_eq!(
            idx.best().unwrap().0,
            2,
            "tie on 1 connection: chosen longer ago"
        );
        idx.set(2, None);
        assert_eq!(idx.best().unwrap().0, 1);
        idx.set(1, k(3, 5));
        assert_eq!(idx.best().unwrap().0, 0);
        idx.set(0, None);
        idx.set(1, None);
        assert_eq!(idx.best(), None);
    }

    #[test]
    fn weighted_least_connection_counts_connections_per_weight() {
        // (3 + 1) / 2 = 2 < (2 + 1) / 1 = 3: the double-weight member takes it.
        let heavy = LcKey {
            conns: 3,
            weight: 2 * WEIGHT_ONE,
            stamp: 9,
        };
        let light = LcKey {
            conns: 2,
            weight: WEIGHT_ONE,
            stamp: 0,
        };
        assert!(heavy.better(&light));
    }

    #[test]
    fn slow_start_ramps_linearly_and_keeps_a_fresh_member_from_being_flooded() {
        let ss = SimDuration::from_secs(30);
        let up = SimTime(SimDuration::from_secs(100).0);
        assert_eq!(ramped_weight(2, up, up, ss), 1);
        let half = up + SimDuration::from_secs(15);
        assert_eq!(ramped_weight(2, up, half, ss), WEIGHT_ONE);
        assert_eq!(ramped_weight(2, up, up + ss, ss), 2 * WEIGHT_ONE);
        assert!(ramping(up, half, ss) && !ramping(up, up + ss, ss));
        // A member with 4 connections vs a fresh member 3 s into its 30 s ramp:
        // (0 + 1) / 0.1 = 10 > (4 + 1) / 1 = 5, so the established member still wins.
        let mut least = LeastConnIndex::new(2);
        least.set(
            0,
            Some(LcKey {
                conns: 4,
                weight: WEIGHT_ONE,
                stamp: 1,
            }),
        );
        let ramping_members = [Ramping {
            member: 1,
            conns: 0,
            weight: 1,
            up_since: up,
            stamp: 0,
        }];
        let ring = HashRing::default();
        let view = |now| PoolView {
            algorithm: Algorithm::LeastConnection,
            rotation: &[],
            cursor: 0,
            ring: &ring,
            least: &least,
            ramping: &ramping_members,
            now,
            slow_start: ss,
        };
        assert_eq!(pick(&view(up + SimDuration::from_secs(3)), 0), Some(0));
        // Half-way, (0 + 1) / 0.5 = 2 < 5: the fresh member starts taking connections.
        assert_eq!(pick(&view(half), 0), Some(1));
    }

    #[test]
    fn round_robin_follows_the_cursor_and_an_empty_pool_gives_nothing() {
        let rot = rotation(&[(0, 1), (1, 1), (2, 1)]);
        let ring = HashRing::default();
        let least = LeastConnIndex::new(1);
        let view = |cursor, rotation: &'static [u32]| PoolView {
            algorithm: Algorithm::RoundRobin,
            rotation,
            cursor,
            ring: &ring,
            least: &least,
            ramping: &[],
            now: SimTime::ZERO,
            slow_start: SimDuration::ZERO,
        };
        let rot: &'static [u32] = Box::leak(rot.into_boxed_slice());
        let picks: Vec<u32> = (0..5).map(|c| pick(&view(c, rot), 0).unwrap()).collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1]);
        assert_eq!(pick(&view(0, &[]), 0), None);
    }

    #[test]
    fn monitor_takes_a_member_down_after_fall_count_and_back_after_rise_count() {
        let p = MonitorParams::default();
        let mut h = Health::UP;
        h = after_probe(h, false, &p);
        h = after_probe(h, false, &p);
        assert!(h.up, "two failures are not enough");
        h = after_probe(h, true, &p);
        assert_eq!(h, Health::UP, "a success resets the count");
        for _ in 0..3 {
            h = after_probe(h, false, &p);
        }
        assert!(!h.up, "down after 3 consecutive failures");
        h = after_probe(h, true, &p);
        h = after_probe(h, true, &p);
        assert!(!h.up);
        h = after_probe(h, false, &p);
        for _ in 0..3 {
            h = after_probe(h, true, &p);
        }
        assert_eq!(h, Health::UP, "up after 3 consecutive successes");
    }
}
