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

use super::time::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    seq: u64,
    slot: u32,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    time: SimTime,
    seq: u64,
    slot: u32,
}

struct Slot<E> {
    seq: u64,
    event: Option<E>,
}

/// A priority queue of events with a clock.
pub struct EventQueue<E> {
    now: SimTime,
    next_seq: u64,
    heap: BinaryHeap<Reverse<Entry>>,
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
            heap: BinaryHeap::new(),
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
        self.heap.push(Reverse(Entry { time, seq, slot }));
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
            let Reverse(top) = self.heap.peek()?;
            let slot = &self.slots[top.slot as usize];
            if slot.seq == top.seq && slot.event.is_some() {
                return Some(top.time);
            }
            let Reverse(stale) = self.heap.pop().expect("peeked");
            self.release_if_stale(stale);
        }
    }

    /// Removes the next live event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(Reverse(entry)) = self.heap.pop() {
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
