//! vMotion: pre-copy live migration and its concurrency limits (issue 3).
//!
//! Three pure pieces, independent of the world (hosts are plain indices), so the
//! simulation can wire them in later:
//!
//! - [`precopy`] computes a whole live migration at once from the VM's memory size, its
//!   dirty rate and the bandwidth it gets: how many pre-copy rounds it takes, how many
//!   bytes cross the wire, how long it lasts and how long the VM is stunned.
//! - [`MigrationSlots`] enforces vCenter's "Limits on Simultaneous Migrations" per host
//!   (4 on 1 GbE, 8 on 10 GbE) and queues the excess without starving anyone.
//! - [`shared_bandwidth`] splits a path's migration bandwidth between the migrations
//!   that use it at the same time.
//!
//! The model of pre-copy is the classic one (Clark et al., "Live Migration of Virtual
//! Machines", NSDI 2005; SimGrid's `src/plugins/vm/VmLiveMigration.cpp`): the first round
//! copies all memory while the VM runs, each next round copies what the VM dirtied
//! during the previous one, and when the rest fits in the switch-over target the VM is
//! stunned and the rest is sent (stop-and-copy). The dirty rate is constant and uniform
//! over the memory (no writable working set), which makes the result a geometric series.

use std::collections::VecDeque;

use crate::engine::SimDuration;

/// Bytes per second of a 10 Gbit/s link, the lower bound of the "10GigE" row of
/// vCenter's network limits.
const TEN_GBE_BYTES_PER_S: f64 = 10e9 / 8.0;

/// Parameters of a live migration. Every field has a sourced default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrecopyParams {
    /// Switch-over target (maximum downtime): pre-copy stops as soon as the bytes still
    /// to send can be sent within this time, and those bytes are then sent while the VM
    /// is stunned. Default **30 ms**: SimGrid's `max_downtime` default
    /// (`simgrid/simgrid` `src/plugins/vm/VmLiveMigration.cpp`) and QEMU's default
    /// `downtime-limit` (the RHEL 7 virtualization guide documents 30 ms).
    pub switch_over_target: SimDuration,
    /// Most pre-copy rounds, round 0 (the full copy) included; when they are done the VM
    /// is stunned whatever is left, and the stop-and-copy does not count as a round.
    /// Default **29**: Xen's `DEF_MAX_ITERS 29 /* limit us to 30 times round loop */`
    /// in `tools/libxc/xc_domain_save.c` (29 live rounds, then the final stop-and-copy:
    /// 30 passes). QEMU has no hard round limit (it throttles the vCPUs instead,
    /// "auto-converge"), and vSphere's equivalent is "Stun During Page Send" (SDPS),
    /// which slows the vCPUs rather than counting rounds and whose thresholds are not
    /// published; so for vSphere this value is an **assumption** borrowed from Xen.
    /// Zero means a cold migration: the VM is stunned at once and all memory is sent
    /// during the downtime.
    pub max_rounds: u32,
    /// Share of the path's bandwidth that migrations may use, in (0, 1]. Default **0.5**:
    /// CloudSim Plus `Datacenter.DEF_BW_PERCENT_FOR_MIGRATION = 0.5` (CloudSim computes
    /// a migration's time as RAM / (BW / 2)).
    pub bandwidth_share: f64,
    /// Extra CPU a migrating VM costs on *each* of the source and destination hosts, as a
    /// fraction of the VM's CPU demand, for the whole migration. Default **0.1**: CloudSim
    /// (`PowerDatacenter`, `HostDynamicWorkload`, `VmSchedulerTimeShared`) degrades a
    /// migrating VM by 10 % on the source and charges the destination 10 % of the VM's
    /// MIPS while it migrates in. Not used by [`precopy`]; the world applies it.
    pub cpu_overhead: f64,
}

impl Default for PrecopyParams {
    fn default() -> Self {
        PrecopyParams {
            switch_over_target: SimDuration::from_millis(30),
            max_rounds: 29,
            bandwidth_share: 0.5,
            cpu_overhead: 0.1,
        }
    }
}

impl PrecopyParams {
    /// The bandwidth one migration gets on a path of `path_bytes_per_s` shared by
    /// `concurrent` migrations (this one included): see [`shared_bandwidth`].
    pub fn migration_bandwidth(&self, path_bytes_per_s: f64, concurrent: u32) -> f64 {
        shared_bandwidth(path_bytes_per_s, concurrent, self.bandwidth_share)
    }
}

/// The outcome of one live migration, as computed by [`precopy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrecopyPlan {
    /// Pre-copy rounds done while the VM ran, round 0 (the full copy) included. The final
    /// stop-and-copy is **not** counted. At least 1 unless `max_rounds` is 0.
    pub rounds: u32,
    /// Every byte sent: all pre-copy rounds plus the stop-and-copy.
    pub bytes_copied: u64,
    /// Bytes sent during the stop-and-copy, while the VM was stunned (0 when nothing was
    /// dirtied during the last round).
    pub stop_copy_bytes: u64,
    /// From the start of round 0 to the end of the stop-and-copy (the downtime included).
    pub duration: SimDuration,
    /// Time the VM is stunned: the stop-and-copy's bytes over the bandwidth. The
    /// switch-over's fixed costs (device state, resuming on the destination) are not
    /// modelled.
    pub downtime: SimDuration,
    /// Whether pre-copy ended because the rest fitted in the switch-over target; false
    /// when the round limit or a non-shrinking round forced the stun (then the downtime
    /// exceeds the target).
    pub converged: bool,
}

/// Iterative pre-copy of a VM with `memory_bytes` of RAM that dirties
/// `dirty_bytes_per_s`, over a path giving the migration `bandwidth_bytes_per_s` (already
/// the migration's share: see [`shared_bandwidth`]).
///
/// - Round 0 sends all memory, taking `memory / bandwidth`.
/// - Each next round sends what was dirtied during the previous round:
///   `dirty_rate × previous round's duration`, at most the memory size. Since a round's
///   duration is its bytes over the bandwidth, round i+1 sends `r ×` round i's bytes with
///   `r = dirty / bandwidth`; it is computed that way (one ratio, then one product per
///   round), which is the same quantity and keeps exact ratios exact.
/// - After each round the bytes dirtied during it are what is left. Pre-copy stops when
///   (checked in this order): they can be sent within the switch-over target
///   (`left / bandwidth <= target`: converged); `max_rounds` rounds are done; or the next
///   round would not be smaller than the one just done (dirty rate >= bandwidth: pre-copy
///   cannot converge, and a round more would only add time).
/// - The stop-and-copy then sends what is left while the VM is stunned; its time is the
///   downtime.
///
/// A zero dirty rate gives exactly one round (round 0) and a zero-byte stop-and-copy with
/// zero downtime, so `duration == memory / bandwidth`.
///
/// Arithmetic is in f64, on the exact recurrence; each round's bytes are rounded once to
/// the nearest byte and its duration once to the nearest nanosecond
/// ([`SimDuration::from_secs_f64`]), and those rounded values are summed. Rounding never
/// feeds back into the next round, so `bytes_copied` and `duration` are within half a
/// byte and half a nanosecond per round (stop-and-copy included) of the exact values.
///
/// # Panics
///
/// If the bandwidth is not positive and finite, or the dirty rate is negative or not
/// finite: scenarios are validated before they reach the model.
pub fn precopy(
    memory_bytes: u64,
    dirty_bytes_per_s: f64,
    bandwidth_bytes_per_s: f64,
    params: &PrecopyParams,
) -> PrecopyPlan {
    assert!(
        bandwidth_bytes_per_s.is_finite() && bandwidth_bytes_per_s > 0.0,
        "migration bandwidth must be positive and finite, got {bandwidth_bytes_per_s}"
    );
    assert!(
        dirty_bytes_per_s.is_finite() && dirty_bytes_per_s >= 0.0,
        "dirty rate must be non-negative and finite, got {dirty_bytes_per_s}"
    );
    let memory = memory_bytes as f64;
    let bw = bandwidth_bytes_per_s;
    let ratio = dirty_bytes_per_s / bw;
    let target = params.switch_over_target.as_secs_f64();

    let mut rounds = 0u32;
    let mut bytes_copied = 0u64;
    let mut duration = SimDuration::ZERO;
    // The bytes the next round (or the stop-and-copy) has to send.
    let mut left = memory;
    while rounds < params.max_rounds {
        let sent = left;
        bytes_copied = bytes_copied.saturating_add(sent.round() as u64);
        duration = duration + SimDuration::from_secs_f64(sent / bw);
        rounds += 1;
        left = (sent * ratio).min(memory);
        if left / bw <= target || left >= sent {
            break;
        }
    }
    let stop_copy_bytes = left.round() as u64;
    let downtime = SimDuration::from_secs_f64(left / bw);
    PrecopyPlan {
        rounds,
        bytes_copied: bytes_copied.saturating_add(stop_copy_bytes),
        stop_copy_bytes,
        duration: duration + downtime,
        downtime,
        converged: left / bw <= target,
    }
}

/// A live migration under way whose bandwidth may change as other migrations start and
/// end: the same pre-copy as [`precopy`], advanced piecewise at constant bandwidth.
///
/// Between two changes the bandwidth is constant, so [`LiveMigration::advance`] runs the
/// recurrence exactly: a round's bytes are sent at the current bandwidth, the round ends
/// when they are, the next round's bytes are what was dirtied during the whole round
/// (`dirty × round time`, whatever bandwidths it had), and the stop conditions are
/// checked at the bandwidth of the moment the round ends. [`LiveMigration::remaining`]
/// is how long the rest takes if the bandwidth stays as it is now — when the migration
/// is scheduled to end. With a bandwidth that never changes the outcome is [`precopy`]'s,
/// up to float rounding (a test holds them together).
#[derive(Clone, Debug, PartialEq)]
pub struct LiveMigration {
    memory: f64,
    dirty: f64,
    target_s: f64,
    max_rounds: u32,
    /// Pre-copy rounds started (round 0 included).
    rounds: u32,
    /// Bytes of the round under way, or of the stop-and-copy.
    round_bytes: f64,
    /// Of those, the bytes still to send.
    left: f64,
    /// Seconds spent on the round under way.
    round_time: f64,
    /// In the stop-and-copy (the VM stunned).
    stopped: bool,
    /// Whether pre-copy converged (the rest fitted in the switch-over target).
    converged: bool,
    done: bool,
    sent: f64,
    elapsed: f64,
    downtime: f64,
    stop_copy_bytes: f64,
}

impl LiveMigration {
    /// A migration of `memory_bytes` dirtied at `dirty_bytes_per_s`, at its start.
    pub fn start(memory_bytes: u64, dirty_bytes_per_s: f64, params: &PrecopyParams) -> Self {
        let memory = memory_bytes as f64;
        let mut m = LiveMigration {
            memory,
            dirty: dirty_bytes_per_s.max(0.0),
            target_s: params.switch_over_target.as_secs_f64(),
            max_rounds: params.max_rounds,
            rounds: 1,
            round_bytes: memory,
            left: memory,
            round_time: 0.0,
            stopped: false,
            converged: false,
            done: false,
            sent: 0.0,
            elapsed: 0.0,
            downtime: 0.0,
            stop_copy_bytes: 0.0,
        };
        if params.max_rounds == 0 {
            // A cold migration: stunned at once, everything sent during the downtime.
            m.rounds = 0;
            m.stopped = true;
            m.stop_copy_bytes = memory;
        }
        m
    }

    /// Sends for `dt_s` seconds at `bw` bytes per second (positive), crossing round
    /// boundaries as they come.
    pub fn advance(&mut self, mut dt_s: f64, bw: f64) {
        debug_assert!(bw > 0.0 && bw.is_finite(), "bandwidth {bw}");
        while dt_s > 0.0 && !self.done {
            let t = self.left / bw;
            if t > dt_s {
                self.left -= bw * dt_s;
                self.sent += bw * dt_s;
                self.round_time += dt_s;
                self.elapsed += dt_s;
                if self.stopped {
                    self.downtime += dt_s;
                }
                return;
            }
            dt_s -= t;
            self.sent += self.left;
            self.round_time += t;
            self.elapsed += t;
            self.left = 0.0;
            if self.stopped {
                self.downtime += t;
                self.done = true;
                return;
            }
            self.end_round(bw);
        }
    }

    /// The round under way has sent its last byte: start the next one, or the
    /// stop-and-copy (same conditions, in the same order, as [`precopy`]).
    fn end_round(&mut self, bw: f64) {
        let next = (self.dirty * self.round_time).min(self.memory);
        let fits = next / bw <= self.target_s;
        if fits || self.rounds >= self.max_rounds || next >= self.round_bytes {
            self.converged = fits;
            self.stopped = true;
            self.stop_copy_bytes = next;
            self.done = next <= 0.0;
        } else {
            self.rounds += 1;
        }
        self.round_bytes = next;
        self.left = next;
        self.round_time = 0.0;
    }

    /// Seconds until the migration ends if the bandwidth stays `bw`.
    pub fn remaining(&self, bw: f64) -> f64 {
        let mut rest = self.clone();
        rest.advance(f64::INFINITY, bw);
        rest.elapsed - self.elapsed
    }

    /// Whether the last byte of the stop-and-copy is sent.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Sends whatever is left at `bw` (the end event may come a rounding error early)
    /// and returns the outcome.
    pub fn finish(&mut self, bw: f64) -> PrecopyPlan {
        self.advance(f64::INFINITY, bw);
        PrecopyPlan {
            rounds: self.rounds,
            bytes_copied: self.sent.round() as u64,
            stop_copy_bytes: self.stop_copy_bytes.round() as u64,
            duration: SimDuration::from_secs_f64(self.elapsed),
            downtime: SimDuration::from_secs_f64(self.downtime),
            converged: self.converged,
        }
    }
}

/// The bandwidth each of `concurrent` simultaneous migrations gets on a path of
/// `path_bytes_per_s` (the narrowest link between the two hosts), when migrations may use
/// `share` of it in total: `path × share / concurrent`, an equal split. `concurrent`
/// counts the migration asking, so 0 is read as 1.
pub fn shared_bandwidth(path_bytes_per_s: f64, concurrent: u32, share: f64) -> f64 {
    path_bytes_per_s * share / f64::from(concurrent.max(1))
}

/// How many vMotions a host with a vMotion NIC of `nic_bytes_per_s` may take part in at
/// once (as source or destination): **8** at 10 Gbit/s or faster, **4** below (the
/// "1GigE" row; vMotion needs at least 1 GbE). From vSphere's "Limits on Simultaneous
/// Migrations": a vMotion costs 1 against a network limit of 4 on 1 GbE and 8 on 10 GbE;
/// the host limit (8, a vMotion costing 1) is never the tighter one.
pub fn host_limit(nic_bytes_per_s: f64) -> u32 {
    if nic_bytes_per_s >= TEN_GBE_BYTES_PER_S {
        8
    } else {
        4
    }
}

/// A migration waiting for slots.
#[derive(Clone, Debug)]
struct Request<Id> {
    id: Id,
    src: usize,
    dst: usize,
}

/// Per-host counters of running vMotions and a FIFO of the migrations waiting for a slot,
/// as vCenter queues migrations beyond its limits. A migration holds one slot on its
/// source and one on its destination host from start to finish.
///
/// **Queueing rule.** Waiting migrations are considered in arrival order. One starts when
/// both its hosts have a free slot that no earlier waiting migration has claimed; one
/// that cannot start claims a free slot (if any) on each of its hosts. So a later
/// migration never takes a slot an earlier one could use on a host they share (no
/// starvation: the oldest migration waiting on a host gets that host's next free slot),
/// while a migration sharing no host with earlier waiting ones starts at once instead of
/// waiting behind unrelated hosts. Claims are recomputed from the queue after every
/// change, and the queue is left with no migration that could start.
///
/// Hosts are indices `0..limits.len()`; a migration's hosts must differ.
#[derive(Clone, Debug)]
pub struct MigrationSlots<Id> {
    limit: Vec<u32>,
    active: Vec<u32>,
    waiting: VecDeque<Request<Id>>,
}

impl<Id> MigrationSlots<Id> {
    /// Slots for hosts with the given per-host limits (see [`host_limit`]).
    pub fn new(limits: Vec<u32>) -> Self {
        let active = vec![0; limits.len()];
        MigrationSlots {
            limit: limits,
            active,
            waiting: VecDeque::new(),
        }
    }

    /// Slots for hosts with these vMotion NIC speeds (bytes per second).
    pub fn for_nics(nic_bytes_per_s: &[f64]) -> Self {
        Self::new(nic_bytes_per_s.iter().map(|&nic| host_limit(nic)).collect())
    }

    /// Asks to migrate `id` from `src` to `dst`: starts it (taking a slot on both hosts)
    /// and returns true if both have an unclaimed free slot, else queues it and returns
    /// false; it is then returned by the [`finish`](Self::finish) that lets it start.
    pub fn try_start(&mut self, id: Id, src: usize, dst: usize) -> bool {
        self.check_hosts(src, dst);
        // The queue holds no startable migration, so only the newcomer can start, and
        // only on slots the waiting ones leave unclaimed.
        let claimed = self.claims();
        if self.free(src, &claimed) > 0 && self.free(dst, &claimed) > 0 {
            self.active[src] += 1;
            self.active[dst] += 1;
            return true;
        }
        self.waiting.push_back(Request { id, src, dst });
        false
    }

    /// A migration from `src` to `dst` ended (done or aborted): frees its slots and
    /// starts the waiting migrations that now can, returning their ids in FIFO order.
    ///
    /// # Panics
    ///
    /// If no migration is running on `src` or `dst` (a finish without a start).
    pub fn finish(&mut self, src: usize, dst: usize) -> Vec<Id> {
        self.check_hosts(src, dst);
        assert!(
            self.active[src] > 0 && self.active[dst] > 0,
            "finish({src}, {dst}) without a running migration on both hosts"
        );
        self.active[src] -= 1;
        self.active[dst] -= 1;
        self.dispatch()
    }

    /// Withdraws a waiting migration (its VM was deleted or the move is no longer
    /// wanted). Returns whether it was waiting, and the migrations its withdrawal lets
    /// start (its claims are released), in FIFO order.
    pub fn cancel(&mut self, id: &Id) -> (bool, Vec<Id>)
    where
        Id: PartialEq,
    {
        match self.waiting.iter().position(|r| r.id == *id) {
            Some(i) => {
                self.waiting.remove(i);
                (true, self.dispatch())
            }
            None => (false, Vec::new()),
        }
    }

    /// Migrations running on `host` (as source or destination).
    pub fn active(&self, host: usize) -> u32 {
        self.active[host]
    }

    /// The most migrations `host` may run at once.
    pub fn limit(&self, host: usize) -> u32 {
        self.limit[host]
    }

    /// The waiting migrations, oldest first, as `(id, src, dst)`.
    pub fn waiting(&self) -> impl Iterator<Item = (&Id, usize, usize)> + '_ {
        self.waiting.iter().map(|r| (&r.id, r.src, r.dst))
    }

    /// How many migrations are waiting.
    pub fn waiting_len(&self) -> usize {
        self.waiting.len()
    }

    fn check_hosts(&self, src: usize, dst: usize) {
        assert!(
            src < self.limit.len() && dst < self.limit.len(),
            "host index out of range: {src} -> {dst} with {} hosts",
            self.limit.len()
        );
        assert_ne!(src, dst, "a migration needs two different hosts");
    }

    /// Free slots on `host` not claimed by a waiting migration.
    fn free(&self, host: usize, claimed: &[u32]) -> u32 {
        self.limit[host]
            .saturating_sub(self.active[host])
            .saturating_sub(claimed[host])
    }

    /// The slots claimed by the waiting migrations (none of which can start).
    fn claims(&self) -> Vec<u32> {
        let mut claimed = vec![0; self.limit.len()];
        for r in &self.waiting {
            let (fs, fd) = (self.free(r.src, &claimed), self.free(r.dst, &claimed));
            debug_assert!(fs == 0 || fd == 0, "a startable migration was left waiting");
            for (host, free) in [(r.src, fs), (r.dst, fd)] {
                if free > 0 {
                    claimed[host] += 1;
                }
            }
        }
        claimed
    }

    /// Starts, in FIFO order, every waiting migration the queueing rule allows.
    fn dispatch(&mut self) -> Vec<Id> {
        let mut started = Vec::new();
        if self.waiting.is_empty() {
            return started;
        }
        let mut claimed = vec![0; self.limit.len()];
        let mut kept = VecDeque::with_capacity(self.waiting.len());
        for r in std::mem::take(&mut self.waiting) {
            let (fs, fd) = (self.free(r.src, &claimed), self.free(r.dst, &claimed));
            if fs > 0 && fd > 0 {
                self.active[r.src] += 1;
                self.active[r.dst] += 1;
                started.push(r.id);
            } else {
                for (host, free) in [(r.src, fs), (r.dst, fd)] {
                    if free > 0 {
                        claimed[host] += 1;
                    }
                }
                kept.push_back(r);
            }
        }
        self.waiting = kept;
        started
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    /// 10 Gbit/s in bytes per second.
    const TEN_GBIT: f64 = 1.25e9;
    /// 1 Gbit/s in bytes per second.
    const ONE_GBIT: f64 = 1.25e8;

    fn ns(plan_duration: SimDuration) -> u64 {
        plan_duration.as_nanos()
    }

    #[test]
    fn defaults_are_the_sourced_values() {
        let p = PrecopyParams::default();
        assert_eq!(p.switch_over_target, SimDuration::from_millis(30));
        assert_eq!(p.max_rounds, 29);
        assert_eq!(p.bandwidth_share, 0.5);
        assert_eq!(p.cpu_overhead, 0.1);
    }

    /// A 16 GiB VM dirtying 156.25 MB/s, migrated alone over a 10 Gbit/s path of which
    /// it may use 50 %:
    ///
    /// - M = 16 GiB = 2^34 B; bw = 1.25e9 B/s × 0.5 = 625e6 B/s; d = 156.25e6 B/s;
    ///   r = d / bw = 1/4 exactly; T = 30 ms.
    /// - Round i sends M·r^i and lasts M·r^i / bw. After k rounds, M·r^k is left.
    ///   Pre-copy stops at the first k with M·r^k / bw <= T:
    ///   r^k <= T·bw / M = 0.03 × 625e6 / 2^34 = 1 / 916.3, i.e. 4^k >= 916.3, so k = 5
    ///   (4^4 = 256 is too few: 2^26 B / bw = 107 ms > 30 ms).
    /// - Stop-and-copy: M·r^5 = 2^34 / 2^10 = 2^24 B = 16 MiB; downtime =
    ///   2^24 / 625e6 s = 26.8435456 ms, which rounds to 26_843_546 ns.
    /// - Bytes: M·(1 + r + … + r^4) + M·r^5 = M·(1 − r^6)/(1 − r) = M·(4/3)·(4095/4096)
    ///   = M·1365/1024 = 1365 × 16 MiB = 22_900_899_840 B (every term is a whole number of bytes).
    /// - Duration: (M / bw)·(1 + r + … + r^5) = (2^34 × 1.6 ns)·1365/1024
    ///   = 2^24 × 1.6 × 1365 ns = 2^24 × 2184 ns = 36_641_439_744 ns ≈ 36.64 s.
    ///   Per round (2^(34−2i) × 1.6 ns): 27_487_790_694.4, 6_871_947_673.6,
    ///   1_717_986_918.4, 429_496_729.6, 107_374_182.4, then 26_843_545.6 for the
    ///   stop-and-copy; rounded each to the nanosecond the errors (−.4, +.4, …) cancel,
    ///   so the sum is exactly the closed form.
    #[test]
    fn a_16_gib_vm_converges_in_five_rounds_as_the_geometric_series_says() {
        let params = PrecopyParams::default();
        let memory = 16 * GIB;
        let bw = params.migration_bandwidth(TEN_GBIT, 1);
        assert_eq!(bw, 625e6);
        let plan = precopy(memory, 156.25e6, bw, &params);

        assert_eq!(plan.rounds, 5);
        assert!(plan.converged);
        assert_eq!(plan.stop_copy_bytes, 16 * MIB);
        assert_eq!(plan.bytes_copied, 1365 * 16 * MIB);
        assert_eq!(plan.bytes_copied, 22_900_899_840);
        assert_eq!(ns(plan.downtime), 26_843_546);
        assert_eq!(ns(plan.duration), 36_641_439_744);
        assert!(plan.downtime <= params.switch_over_target);

        // The same from the formulas, with k = ceil(ln(T·bw/M) / ln r).
        let (m, r, t) = (memory as f64, 0.25f64, 0.03f64);
        let k = ((t * bw / m).ln() / r.ln()).ceil() as i32;
        assert_eq!(k, 5);
        let series = |n: i32| (1.0 - r.powi(n)) / (1.0 - r);
        let bytes = m * series(k) + m * r.powi(k);
        let secs = m / bw * series(k + 1);
        assert!((plan.bytes_copied as f64 - bytes).abs() <= 0.5 * (k + 1) as f64);
        assert!((plan.duration.as_secs_f64() - secs).abs() <= 1e-9 * (k + 1) as f64);
        assert!((plan.downtime.as_secs_f64() - m * r.powi(k) / bw).abs() <= 1e-9);
    }

    #[test]
    fn an_idle_vm_needs_one_round_and_no_downtime() {
        let params = PrecopyParams::default();
        // 8 GiB over 625e6 B/s: 2^33 / 625e6 s = 2^33 × 1.6 ns = 13_743_895_347.2 ns.
        let plan = precopy(8 * GIB, 0.0, 625e6, &params);
        assert_eq!(
            plan,
            PrecopyPlan {
                rounds: 1,
                bytes_copied: 8 * GIB,
                stop_copy_bytes: 0,
                duration: SimDuration(13_743_895_347),
                downtime: SimDuration::ZERO,
                converged: true,
            }
        );
        assert_eq!(
            plan.duration,
            SimDuration::from_secs_f64(8.0 * GIB as f64 / 625e6)
        );
        // An exact case: 1 GB over 1 GB/s is one second, to the nanosecond.
        let plan = precopy(1_000_000_000, 0.0, 1e9, &params);
        assert_eq!(plan.duration, SimDuration::from_secs(1));
        assert_eq!(plan.rounds, 1);
    }

    #[test]
    fn a_vm_with_no_memory_migrates_instantly() {
        let plan = precopy(0, 1e9, 1e9, &PrecopyParams::default());
        assert_eq!(plan.rounds, 1);
        assert_eq!(plan.bytes_copied, 0);
        assert_eq!(plan.duration, SimDuration::ZERO);
        assert!(plan.converged);
    }

    /// Dirtying at least as fast as the link sends, round 1 would resend all memory
    /// (d·M/bw >= M, capped at M): no round can shrink, so after round 0 the VM is
    /// stunned and all memory is sent again: downtime = M / bw, twice the memory copied.
    #[test]
    fn a_vm_dirtying_faster_than_the_link_never_converges() {
        let params = PrecopyParams::default();
        let memory = 4 * GIB;
        for dirty in [625e6, 700e6, 10e9] {
            let plan = precopy(memory, dirty, 625e6, &params);
            assert!(!plan.converged, "dirty rate {dirty}");
            assert_eq!(plan.rounds, 1);
            assert_eq!(plan.stop_copy_bytes, memory);
            assert_eq!(plan.bytes_copied, 2 * memory);
            // 2^32 × 1.6 ns = 6_871_947_673.6 ns.
            assert_eq!(ns(plan.downtime), 6_871_947_674);
            assert_eq!(plan.duration, plan.downtime + plan.downtime);
            assert!(plan.downtime > params.switch_over_target);
        }
    }

    /// r = 0.9 would need 65 rounds to reach 30 ms (0.9^k <= 1/916.3), so the limit of
    /// 29 stuns the VM with M·0.9^29 left, sent in that many bytes over bw.
    #[test]
    fn a_slowly_converging_vm_is_stunned_at_the_round_limit() {
        let params = PrecopyParams::default();
        let (memory, bw) = (16 * GIB, 625e6);
        let plan = precopy(memory, 0.9 * bw, bw, &params);
        assert!(!plan.converged);
        assert_eq!(plan.rounds, params.max_rounds);
        let m = memory as f64;
        let left = m * 0.9f64.powi(29);
        assert!((plan.stop_copy_bytes as f64 - left).abs() <= 1.0);
        assert_eq!(plan.downtime, SimDuration::from_secs_f64(left / bw));
        let bytes = m * (1.0 - 0.9f64.powi(29)) / 0.1 + left;
        assert!((plan.bytes_copied as f64 - bytes).abs() <= 30.0);
        let secs = bytes / bw;
        assert!((plan.duration.as_secs_f64() - secs).abs() <= 30e-9);
        // A higher limit lets the same VM converge.
        let patient = PrecopyParams {
            max_rounds: 100,
            ..params
        };
        let plan = precopy(memory, 0.9 * bw, bw, &patient);
        assert!(plan.converged);
        assert_eq!(plan.rounds, 65);
    }

    #[test]
    fn zero_rounds_is_a_cold_migration() {
        let params = PrecopyParams {
            max_rounds: 0,
            ..PrecopyParams::default()
        };
        let plan = precopy(GIB, 1e6, 1e9, &params);
        assert_eq!(plan.rounds, 0);
        assert_eq!(plan.bytes_copied, GIB);
        assert_eq!(plan.downtime, plan.duration);
        assert!(!plan.converged);
    }

    /// The live state machine at a constant bandwidth agrees with the closed form.
    #[test]
    fn a_live_migration_at_constant_bandwidth_is_the_precopy_plan() {
        let params = PrecopyParams::default();
        let cases = [
            (16u64 << 30, 100e6, 625e6),
            (4 << 30, 0.0, 625e6),
            (32 << 30, 700e6, 625e6), // never converges
            (8 << 30, 600e6, 625e6),  // round limit
            (0, 1e9, 1e9),
        ];
        for (mem, dirty, bw) in cases {
            let plan = precopy(mem, dirty, bw, &params);
            let m = LiveMigration::start(mem, dirty, &params);
            let remaining = m.remaining(bw);
            let got = m.clone().finish(bw);
            assert_eq!(got.rounds, plan.rounds, "{mem} {dirty}");
            assert_eq!(got.converged, plan.converged);
            assert!((got.bytes_copied as f64 - plan.bytes_copied as f64).abs() <= 64.0);
            let d = (got.duration.as_secs_f64() - plan.duration.as_secs_f64()).abs();
            assert!(d < 1e-6, "{mem} {dirty}: {got:?} vs {plan:?}");
            assert!((remaining - plan.duration.as_secs_f64()).abs() < 1e-6);
            let dt = (got.downtime.as_secs_f64() - plan.downtime.as_secs_f64()).abs();
            assert!(dt < 1e-6);
        }
    }

    /// Halving the bandwidth halfway through round 0 of an idle VM: 8 GiB at 1 GB/s for
    /// 4 s (4 GB sent), then the remaining 4.59 GB at 0.5 GB/s.
    #[test]
    fn a_bandwidth_change_mid_round_is_exact() {
        let params = PrecopyParams::default();
        let mem = 8u64 << 30;
        let mut m = LiveMigration::start(mem, 0.0, &params);
        m.advance(4.0, 1e9);
        let rest = (mem as f64 - 4e9) / 0.5e9;
        assert!((m.remaining(0.5e9) - rest).abs() < 1e-9);
        let out = m.finish(0.5e9);
        assert_eq!(out.rounds, 1);
        assert_eq!(out.bytes_copied, mem);
        assert!((out.duration.as_secs_f64() - (4.0 + rest)).abs() < 1e-6);
        assert_eq!(out.downtime, SimDuration::ZERO);
    }

    /// A slower link after round 0 makes round 1 longer, and so round 2 bigger: the
    /// dirtied bytes follow each round's real time.
    #[test]
    fn the_next_round_sends_what_was_dirtied_in_the_rounds_real_time() {
        let params = PrecopyParams::default();
        let mem = 1u64 << 30;
        let mut m = LiveMigration::start(mem, 100e6, &params);
        // Round 0 at 1 GB/s: 1.0737 s; round 1 then has 107.37 MB to send.
        m.advance(mem as f64 / 1e9, 1e9);
        assert!((m.left - 100e6 * mem as f64 / 1e9).abs() < 1e-3);
        // Round 1 at 0.25 GB/s takes 0.4295 s, so round 2 has 42.95 MB.
        let r1 = m.left / 0.25e9;
        m.advance(r1, 0.25e9);
        assert_eq!(m.rounds, 3);
        assert!((m.left - 100e6 * r1).abs() < 1e-3);
    }

    #[test]
    fn concurrent_migrations_split_the_migration_share_of_the_path() {
        assert_eq!(shared_bandwidth(TEN_GBIT, 1, 0.5), 625e6);
        assert_eq!(shared_bandwidth(TEN_GBIT, 4, 0.5), 156.25e6);
        assert_eq!(shared_bandwidth(TEN_GBIT, 0, 0.5), 625e6);
        assert_eq!(shared_bandwidth(TEN_GBIT, 2, 1.0), 625e6);
    }

    #[test]
    fn hosts_run_8_vmotions_on_10_gbe_and_4_on_1_gbe() {
        assert_eq!(host_limit(TEN_GBIT), 8);
        assert_eq!(host_limit(4.0 * TEN_GBIT), 8);
        assert_eq!(host_limit(ONE_GBIT), 4);
        assert_eq!(host_limit(2.5e9 / 8.0), 4);
        let slots = MigrationSlots::<u64>::for_nics(&[TEN_GBIT, ONE_GBIT]);
        assert_eq!((slots.limit(0), slots.limit(1)), (8, 4));
    }

    /// Host 0 (10 GbE) evacuates to hosts 1..=9 (10 GbE each): 8 migrations run, the
    /// 9th waits and starts when one ends.
    #[test]
    fn a_ninth_migration_from_a_host_waits_for_a_slot() {
        let mut slots = MigrationSlots::for_nics(&[TEN_GBIT; 10]);
        for vm in 1..=8u64 {
            assert!(slots.try_start(vm, 0, vm as usize), "vm {vm}");
        }
        assert_eq!(slots.active(0), 8);
        assert!(!slots.try_start(9, 0, 9));
        assert_eq!(slots.waiting_len(), 1);
        assert_eq!(slots.finish(0, 3), vec![9]);
        assert_eq!(slots.active(0), 8);
        assert_eq!(slots.active(3), 0);
        assert_eq!(slots.active(9), 1);
        assert_eq!(slots.waiting_len(), 0);
        // Nothing waits, so a finish starts nothing.
        assert_eq!(slots.finish(0, 9), Vec::<u64>::new());
    }

    /// A 1 GbE destination takes 4; the 5th and 6th wait and start in arrival order.
    #[test]
    fn waiting_migrations_start_in_fifo_order() {
        let mut slots = MigrationSlots::for_nics(&[TEN_GBIT, ONE_GBIT, TEN_GBIT]);
        for vm in 1..=4u64 {
            assert!(slots.try_start(vm, 0, 1));
        }
        assert!(!slots.try_start(5, 0, 1));
        assert!(!slots.try_start(6, 2, 1));
        assert!(!slots.try_start(7, 0, 1));
        assert_eq!(slots.finish(0, 1), vec![5]);
        assert_eq!(slots.finish(0, 1), vec![6]);
        assert_eq!(slots.finish(0, 1), vec![7]);
        // Two slots at once: both start, oldest first.
        assert!(!slots.try_start(8, 2, 1));
        assert!(!slots.try_start(9, 0, 1));
        assert_eq!(slots.finish(0, 1), vec![8]);
        let (was_waiting, started) = slots.cancel(&9);
        assert!(was_waiting && started.is_empty());
        assert_eq!(slots.waiting_len(), 0);
    }

    /// Migration 1 waits for destination 1 (full) and claims host 0's last free slot, so
    /// the later migration 2 from host 0 to the idle host 2 cannot overtake it there;
    /// migration 3 between hosts 3 and 2, unrelated to 1, starts at once.
    #[test]
    fn a_later_migration_never_takes_a_slot_an_earlier_one_waits_for() {
        let mut slots = MigrationSlots::new(vec![2, 1, 4, 4]);
        assert!(slots.try_start(10, 0, 3));
        assert!(slots.try_start(11, 2, 1));
        assert!(!slots.try_start(1, 0, 1)); // host 1 full; claims host 0's free slot
        assert!(!slots.try_start(2, 0, 2)); // host 0's free slot is claimed
        assert!(slots.try_start(3, 3, 2));
        assert_eq!(
            slots.waiting().map(|(id, _, _)| *id).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(slots.finish(2, 1), vec![1]);
        assert_eq!(slots.finish(0, 3), vec![2]);
        // Withdrawing a waiting migration releases its claims.
        assert!(!slots.try_start(4, 1, 0)); // both hosts full
        let (was_waiting, started) = slots.cancel(&4);
        assert!(was_waiting && started.is_empty());
        assert_eq!(slots.cancel(&4), (false, vec![]));
    }

    #[test]
    #[should_panic(expected = "without a running migration")]
    fn finishing_a_migration_that_never_started_is_a_bug() {
        MigrationSlots::<u64>::new(vec![4, 4]).finish(0, 1);
    }

    proptest! {
        /// Whatever the sizes and rates: the rounds respect the limit, at least the
        /// memory crosses the wire, the downtime is part of the duration, and a converged
        /// migration keeps the downtime within the target (up to rounding).
        #[test]
        fn precopy_plans_are_consistent(
            memory in 0u64..(1 << 40),
            dirty in 0.0f64..2e9,
            bw in 1e6f64..1e10,
            max_rounds in 0u32..40,
        ) {
            let params = PrecopyParams { max_rounds, ..PrecopyParams::default() };
            let plan = precopy(memory, dirty, bw, &params);
            prop_assert!(plan.rounds <= max_rounds);
            prop_assert!(plan.bytes_copied >= memory);
            prop_assert!(plan.stop_copy_bytes <= memory);
            prop_assert!(plan.downtime <= plan.duration);
            if plan.converged {
                prop_assert!(plan.downtime.as_nanos() <= 30_000_000);
            }
            if dirty >= bw && max_rounds > 0 && memory as f64 / bw > 0.03 {
                prop_assert!(!plan.converged);
                prop_assert_eq!(plan.rounds, 1);
            }
        }

        /// Random starts and finishes never overcommit a host, and the queue never holds
        /// a migration that could start.
        #[test]
        fn slots_never_overcommit_a_host(
            ops in proptest::collection::vec((0usize..5, 0usize..5, any::<bool>()), 1..200),
        ) {
            let mut slots = MigrationSlots::new(vec![1, 2, 4, 8, 3]);
            let mut running: Vec<(usize, usize)> = Vec::new();
            let mut waiting: VecDeque<(u64, usize, usize)> = VecDeque::new();
            for (n, (a, b, finish)) in ops.into_iter().enumerate() {
                let started = if finish && !running.is_empty() {
                    let (src, dst) = running.remove(n % running.len());
                    slots.finish(src, dst)
                } else if a != b {
                    let id = n as u64;
                    waiting.push_back((id, a, b));
                    if slots.try_start(id, a, b) { vec![id] } else { vec![] }
                } else {
                    vec![]
                };
                for id in started {
                    let i = waiting.iter().position(|w| w.0 == id).unwrap();
                    let (_, src, dst) = waiting.remove(i).unwrap();
                    running.push((src, dst));
                }
                for host in 0..5 {
                    let uses = running.iter().filter(|(s, d)| *s == host || *d == host).count();
                    prop_assert_eq!(slots.active(host) as usize, uses);
                    prop_assert!(slots.active(host) <= slots.limit(host));
                }
                let queued: Vec<u64> = slots.waiting().map(|(id, _, _)| *id).collect();
                let expected: Vec<u64> = waiting.iter().map(|w| w.0).collect();
                prop_assert_eq!(queued, expected);
                slots.claims(); // debug-asserts that no waiting migration could start
            }
        }
    }
}
