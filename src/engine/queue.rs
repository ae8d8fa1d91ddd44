//! The future event list.
//!
//! Events are ordered by `(time, seq)`, where `seq` is a global emission counter: two
//! events at the same time fire in the order they were scheduled, whatever the heap does
//! internally. This is the whole determinism guarantee of the kernel (the convention of
//! simcore and NeXosim).
//!
//! Cancellation is O(1): event payloads live in a slab, the heap holds `(time, seq, slot)`,
//! and cancelling empties the slot. A popped heap entry whose slot was emptied (or reused
//! by a later event, which the stored `seq` detects) is skipped. Nothing leaks: a slot is
//! freed either when its event fires or when its stale heap entry is popped.
//!
//! The heap is a 4-ary min-heap of 24-byte entries rather than `std`'s binary heap: half
//! as many levels to walk per pop (the run's hottest path, with tens of thousands of
//! pending departures), and the four children of a node are adjacent in memory. A pop
//! moves the hole left by the root down to a leaf along the smallest children and then
//! sifts the last entry up from there (Floyd's trick; the last entry nearly always
//! belongs near the bottom). Since `(time, seq)` is unique, the order is total and the
//! heap layout cannot influence which event fires next.

use super::time::{SimDuration, SimTime};

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    seq: u64,
    slot: u32,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    time: SimTime,
    seq: u64,
    slot: u32,
}

impl Entry {
    /// Strictly earlier in `(time, seq)` order.
    #[inline(always)]
    fn before(&self, o: &Entry) -> bool {
        self.key() < o.key()
    }

    /// `(time, seq)` as one integer: compares without branches.
    #[inline(always)]
    fn key(&self) -> u128 {
        ((self.time.0 as u128) << 64) | self.seq as u128
    }
}

/// Children per heap node.
const ARITY: usize = 4;

/// A 4-ary min-heap of entries in `(time, seq)` order.
#[derive(Default)]
struct Heap {
    v: Vec<Entry>,
}

impl Heap {
    #[inline]
    fn peek(&self) -> Option<&Entry> {
        self.v.first()
    }

    fn push(&mut self, e: Entry) {
        self.v.push(e);
        let end = self.v.len() - 1;
        self.sift_up(end, e);
    }

    /// Puts `e` in the hole at `i` and moves it up to its place.
    #[inline(always)]
    fn sift_up(&mut self, mut i: usize, e: Entry) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let p = self.v[parent];
            if !e.before(&p) {
                break;
            }
            self.v[i] = p;
            i = parent;
        }
        self.v[i] = e;
    }

    fn pop(&mut self) -> Option<Entry> {
        let last = self.v.pop()?;
        let n = self.v.len();
        if n == 0 {
            return Some(last);
        }
        let top = self.v[0];
        // Move the hole at the root down to a leaf, along the smallest child.
        let mut hole = 0;
        loop {
            let first = ARITY * hole + 1;
            let best = if first + ARITY <= n {
                // All four children exist: a branch-free tournament.
                let c = &self.v[first..first + ARITY];
                let a = if c[1].before(&c[0]) { 1 } else { 0 };
                let b = if c[3].before(&c[2]) { 3 } else { 2 };
                first + if c[b].before(&c[a]) { b } else { a }
            } else if first < n {
                let mut best = first;
                for c in first + 1..n {
                    if self.v[c].before(&self.v[best]) {
                        best = c;
                    }
                }
                best
            } else {
                break;
            };
            self.v[hole] = self.v[best];
            hole = best;
        }
        self.sift_up(hole, last);
        Some(top)
    }
}

struct Slot<E> {
    seq: u64,
    event: Option<E>,
}

/// A priority queue of events with a clock.
pub struct EventQueue<E> {
    now: SimTime,
    next_seq: u64,
    heap: Heap,
    slots: Vec<Slot<E>>,
    free: Vec<u32>,
    live: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            now: SimTime::ZERO,
            next_seq: 0,
            heap: Heap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }

    /// The time of the event being handled (or of the last one popped).
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of scheduled events that are not cancelled.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Schedules `event` at `time`. Scheduling in the past is a model bug.
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> EventKey {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Slot {
                    seq,
                    event: Some(event),
                };
                s
            }
            None => {
                self.slots.push(Slot {
                    seq,
                    event: Some(event),
                });
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Entry { time, seq, slot });
        self.live += 1;
        EventKey { seq, slot }
    }

    /// Schedules `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> EventKey {
        self.schedule_at(self.now + delay, event)
    }

    /// Cancels a scheduled event. Returns false if it already fired or was cancelled.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        match self.slots.get_mut(key.slot as usize) {
            Some(s) if s.seq == key.seq && s.event.is_some() => {
                s.event = None;
                self.live -= 1;
                true
            }
            _ => false,
        }
    }

    /// The time of the next live event, dropping cancelled entries on the way.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let top = self.heap.peek()?;
            let slot = &self.slots[top.slot as usize];
            if slot.seq == top.seq && slot.event.is_some() {
                return Some(top.time);
            }
            let stale = self.heap.pop().expect("peeked");
            self.release_if_stale(stale);
        }
    }

    /// The next live event and its time, dropping cancelled entries on the way.
    pub fn peek(&mut self) -> Option<(SimTime, &E)> {
        self.peek_time()?;
        let top = self.heap.peek()?;
        let event = self.slots[top.slot as usize].event.as_ref()?;
        Some((top.time, event))
    }

    /// Removes the next live event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(entry) = self.heap.pop() {
            let slot = &mut self.slots[entry.slot as usize];
            if slot.seq != entry.seq {
                continue; // slot was reused after this entry was cancelled
            }
            match slot.event.take() {
                Some(event) => {
                    self.free.push(entry.slot);
                    self.live -= 1;
                    self.now = entry.time;
                    return Some((entry.time, event));
                }
                None => self.free.push(entry.slot), // cancelled
            }
        }
        None
    }

    fn release_if_stale(&mut self, entry: Entry) {
        if self.slots[entry.slot as usize].seq == entry.seq {
            self.free.push(entry.slot);
        }
    }

    /// Moves the clock forward without an event (used to close a run at its end time).
    pub fn advance_to(&mut self, time: SimTime) {
        if time > self.now {
            self.now = time;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut EventQueue<&'static str>) -> Vec<(u64, &'static str)> {
        std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect()
    }

    #[test]
    fn same_time_events_fire_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(5), "c");
        q.schedule_at(SimTime(1), "a");
        q.schedule_at(SimTime(5), "d");
        q.schedule_at(SimTime(1), "b");
        q.schedule_at(SimTime(5), "e");
        assert_eq!(
            drain(&mut q),
            vec![(1, "a"), (1, "b"), (5, "c"), (5, "d"), (5, "e")]
        );
    }

    #[test]
    fn cancelled_events_never_fire_and_others_keep_their_order() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(SimTime(1), "a");
        q.schedule_at(SimTime(1), "b");
        let c = q.schedule_at(SimTime(2), "c");
        assert!(q.cancel(a));
        assert!(!q.cancel(a), "second cancel is a no-op");
        assert!(q.cancel(c));
        assert_eq!(q.len(), 1);
        assert_eq!(drain(&mut q), vec![(1, "b")]);
        assert!(q.is_empty());
    }

    #[test]
    fn cancelling_a_fired_event_does_not_touch_the_slot_reuser() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(SimTime(1), "a");
        assert_eq!(q.pop(), Some((SimTime(1), "a")));
        let b = q.schedule_at(SimTime(2), "b"); // reuses a's slot
        assert!(!q.cancel(a));
        assert_eq!(q.pop(), Some((SimTime(2), "b")));
        assert!(!q.cancel(b));
    }

    #[test]
    fn clock_follows_popped_events_and_peek_skips_cancelled() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(SimTime(3), "a");
        q.schedule_at(SimTime(7), "b");
        q.cancel(a);
        assert_eq!(q.peek_time(), Some(SimTime(7)));
        q.pop();
        assert_eq!(q.now(), SimTime(7));
        q.schedule_in(SimDuration(3), "c");
        assert_eq!(q.pop(), Some((SimTime(10), "c")));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn interleaved_schedules_cancels_and_pops_match_a_sorted_reference() {
        use std::collections::BTreeMap;
        // A small LCG: the test needs no statistical quality, only many collisions.
        let mut x: u64 = 12345;
        let mut next = move || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        };
        let mut q: EventQueue<u64> = EventQueue::new();
        let mut reference: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        let mut keys: Vec<(EventKey, (u64, u64))> = Vec::new();
        let mut seq = 0u64;
        for step in 0..20_000u64 {
            match next() % 8 {
                0..=3 => {
                    let t = q.now().0 + next() % 50; // many equal times
                    let k = q.schedule_at(SimTime(t), step);
                    reference.insert((t, seq), step);
                    keys.push((k, (t, seq)));
                    seq += 1;
                }
                4 if !keys.is_empty() => {
                    let (k, at) = keys.swap_remove((next() % keys.len() as u64) as usize);
                    assert_eq!(q.cancel(k), reference.remove(&at).is_some());
                }
                _ => {
                    let want = reference.pop_first().map(|((t, _), e)| (SimTime(t), e));
                    assert_eq!(q.pop(), want);
                }
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(((t, _), e)) = reference.pop_first() {
            assert_eq!(q.peek_time(), Some(SimTime(t)));
            assert_eq!(q.pop(), Some((SimTime(t), e)));
        }
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn events_at_the_end_of_time_keep_their_order() {
        let mut q = EventQueue::new();
        for i in 0..40u64 {
            let t = if i % 3 == 0 {
                SimTime::NEVER
            } else {
                SimTime(i % 7)
            };
            q.schedule_at(t, i);
        }
        let got: Vec<(u64, u64)> = std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect();
        let mut want = got.clone();
        want.sort_by_key(|&(t, e)| (t, e)); // e is the scheduling order
        assert_eq!(got, want);
        assert_eq!(got.len(), 40);
        assert_eq!(got.iter().filter(|&&(t, _)| t == u64::MAX).count(), 14);
    }

    #[test]
    fn peek_shows_what_pop_returns_and_skips_cancelled() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(SimTime(2), "a");
        q.schedule_at(SimTime(5), "b");
        assert_eq!(q.peek(), Some((SimTime(2), &"a")));
        q.cancel(a);
        assert_eq!(q.peek(), Some((SimTime(5), &"b")));
        assert_eq!(q.now(), SimTime(0), "peeking does not move the clock");
        assert_eq!(q.pop(), Some((SimTime(5), "b")));
        assert_eq!(q.peek(), None);
    }

    #[test]
    fn slots_are_recycled_so_memory_stays_flat() {
        let mut q = EventQueue::new();
        for i in 0..10_000u64 {
            let k = q.schedule_at(SimTime(i), "x");
            if i % 2 == 0 {
                q.cancel(k);
            }
            while q.peek_time().is_some_and(|t| t.0 + 10 < i) {
                q.pop();
            }
        }
        assert!(q.slots.len() < 64, "slab grew to {}", q.slots.len());
    }
}
