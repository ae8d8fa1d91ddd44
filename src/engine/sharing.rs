//! A processor-sharing link: a capacity (units per second) split equally among the jobs
//! being served, at most `slots` at a time; the others wait in FIFO order. Domain-free:
//! the model uses it for the registry's bandwidth shared by image pulls.
//!
//! The implementation keeps a *virtual clock* `V`, the service each active job has
//! received so far: between two changes of the active set it grows at `capacity / n`
//! for `n` active jobs. A job that starts at `V0` with `size` units finishes when
//! `V = V0 + size`, so jobs are ordered by that finish tag and the next completion is
//! `(tag − V) · n / capacity` seconds away. Every operation is O(log n); nothing is
//! rescanned when a job joins or leaves.

use super::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, VecDeque};

/// A job's finish tag as an ordered key: the tag's bits (non-negative, so integer order
/// is float order) and the job id for ties.
type Tag = (u64, u64);

#[derive(Clone, Debug)]
pub struct SharedLink {
    capacity: f64,
    slots: usize,
    /// Virtual time: service per active job so far.
    v: f64,
    /// When `v` was last brought up to date.
    at: SimTime,
    active: BTreeMap<Tag, f64>,
    waiting: VecDeque<(u64, f64)>,
}

impl SharedLink {
    /// A link of `capacity` units per second (positive) serving `slots` jobs at once.
    pub fn new(capacity: f64, slots: usize) -> Self {
        assert!(
            capacity > 0.0 && capacity.is_finite(),
            "capacity {capacity}"
        );
        SharedLink {
            capacity,
            slots: slots.max(1),
            v: 0.0,
            at: SimTime::ZERO,
            active: BTreeMap::new(),
            waiting: VecDeque::new(),
        }
    }

    fn advance(&mut self, now: SimTime) {
        let n = self.active.len();
        if n > 0 {
            self.v += (now - self.at).as_secs_f64() * self.capacity / n as f64;
        }
        self.at = now;
    }

    fn start(&mut self, id: u64, size: f64) {
        let tag = self.v + size.max(0.0);
        self.active.insert((tag.to_bits(), id), tag);
    }

    /// Job `id` of `size` units arrives at `now`: served at once if a slot is free, else
    /// queued.
    pub fn arrive(&mut self, now: SimTime, id: u64, size: f64) {
        self.advance(now);
        if self.active.len() < self.slots {
            self.start(id, size);
        } else {
            self.waiting.push_back((id, size));
        }
    }

    /// When the next job finishes, if any is being served.
    pub fn next_completion(&self) -> Option<SimTime> {
        let (_, &tag) = self.active.iter().next()?;
        let n = self.active.len() as f64;
        let secs = ((tag - self.v).max(0.0)) * n / self.capacity;
        Some(self.at + SimDuration::from_secs_f64(secs))
    }

    /// At `now` (the time [`SharedLink::next_completion`] gave): removes the finished
    /// jobs and returns their ids, in finish order; waiting jobs take the freed slots.
    pub fn complete(&mut self, now: SimTime) -> Vec<u64> {
        self.advance(now);
        let mut done = Vec::new();
        // Jobs within rounding of the virtual clock are done (a tag never needs more
        // than a nanosecond of service to be reached exactly).
        let eps = self.capacity * 1e-9;
        while let Some((&key, &tag)) = self.active.iter().next() {
            if tag > self.v + eps {
                break;
            }
            self.active.remove(&key);
            done.push(key.1);
        }
        if !done.is_empty() {
            self.v = self.v.max(0.0);
        }
        while self.active.len() < self.slots {
            let Some((id, size)) = self.waiting.pop_front() else {
                break;
            };
            self.start(id, size);
        }
        done
    }

    /// Jobs being served and waiting.
    pub fn active(&self) -> usize {
        self.active.len()
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(s)
    }

    /// Runs jobs to completion, returning (id, finish time in s).
    fn drain(link: &mut SharedLink) -> Vec<(u64, f64)> {
        let mut out = Vec::new();
        while let Some(at) = link.next_completion() {
            for id in link.complete(at) {
                out.push((id, at.as_secs_f64()));
            }
        }
        out
    }

    #[test]
    fn two_equal_jobs_share_the_capacity_and_end_together() {
        let mut l = SharedLink::new(100.0, 10);
        l.arrive(t(0.0), 1, 100.0);
        l.arrive(t(0.0), 2, 100.0);
        let done = drain(&mut l);
        assert_eq!(done.len(), 2);
        for (_, at) in done {
            assert!((at - 2.0).abs() < 1e-6);
        }
    }

    #[test]
    fn a_short_job_leaves_and_the_long_one_speeds_up() {
        // 100 units/s. A (300) and B (100) from 0: each at 50/s; B done at 2 s (A has
        // 200 left), then A alone at 100/s: done at 4 s.
        let mut l = SharedLink::new(100.0, 10);
        l.arrive(t(0.0), 1, 300.0);
        l.arrive(t(0.0), 2, 100.0);
        let done = drain(&mut l);
        assert_eq!(done[0].0, 2);
        assert!((done[0].1 - 2.0).abs() < 1e-6);
        assert_eq!(done[1].0, 1);
        assert!((done[1].1 - 4.0).abs() < 1e-6);
    }

    #[test]
    fn a_late_arrival_slows_the_first_job() {
        // A (200) at 0 alone at 100/s: 100 done by 1 s; B (50) joins at 1 s: 50/s each;
        // B done at 2 s, A has 50 left at 2 s, alone again: done at 2.5 s.
        let mut l = SharedLink::new(100.0, 10);
        l.arrive(t(0.0), 1, 200.0);
        assert!((l.next_completion().unwrap().as_secs_f64() - 2.0).abs() < 1e-6);
        l.arrive(t(1.0), 2, 50.0);
        let done = drain(&mut l);
        assert_eq!(done[0].0, 2);
        assert!((done[0].1 - 2.0).abs() < 1e-6);
        assert!((done[1].1 - 2.5).abs() < 1e-6);
    }

    #[test]
    fn jobs_beyond_the_slots_wait_their_turn() {
        // One slot: jobs run one after another, in arrival order.
        let mut l = SharedLink::new(10.0, 1);
        for id in 0..3 {
            l.arrive(t(0.0), id, 10.0);
        }
        assert_eq!((l.active(), l.waiting()), (1, 2));
        let done = drain(&mut l);
        let ids: Vec<u64> = done.iter().map(|d| d.0).collect();
        assert_eq!(ids, vec![0, 1, 2]);
        for (i, (_, at)) in done.iter().enumerate() {
            assert!((at - (i + 1) as f64).abs() < 1e-6);
        }
    }

    #[test]
    fn total_time_is_total_work_over_capacity_while_busy() {
        // However the jobs interleave, a link that is never idle finishes the last one
        // at (sum of sizes) / capacity.
        let mut l = SharedLink::new(250.0, 4);
        let sizes = [500.0, 1000.0, 250.0, 750.0, 125.0, 375.0];
        for (i, s) in sizes.iter().enumerate() {
            l.arrive(t(0.0), i as u64, *s);
        }
        let done = drain(&mut l);
        let last = done.last().unwrap().1;
        assert!((last - sizes.iter().sum::<f64>() / 250.0).abs() < 1e-6);
    }
}
