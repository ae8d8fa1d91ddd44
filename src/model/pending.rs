//! Instances waiting for capacity (Kubernetes' Pending pods, or VMs with
//! `on_no_fit: wait`).
//!
//! Kubernetes retries unschedulable pods when the cluster changes, in queue order, and a
//! pod that does not fit does not block the ones behind it. Retrying every waiting pod on
//! every release would cost O(pending) per event, so waiting instances are grouped by
//! their exact request: all instances of one class fit or fail together, so a retry pass
//! looks only at the head of each class, taking heads in arrival order. The result is
//! the same as a FIFO scan that skips what does not fit.

use super::instance::InstanceId;
use crate::policy::Request;
use crate::scenario::CpuAmount;
use std::collections::{BTreeMap, VecDeque};

type ClassKey = (u8, u64, u64, u32);

fn class_of(r: &Request) -> ClassKey {
    let (kind, cpu) = match r.cpu {
        CpuAmount::Millicores(m) => (0, m),
        CpuAmount::Mhz(m) => (1, m),
    };
    (kind, cpu, r.memory, r.vcpus)
}

#[derive(Default, Debug)]
pub struct PendingQueue {
    classes: BTreeMap<ClassKey, VecDeque<(u64, InstanceId, Request)>>,
    /// A copy of the head of every non-empty class, by its sequence number: the retry
    /// order, kept up to date instead of collected and sorted on every pass.
    heads: BTreeMap<u64, (InstanceId, Request)>,
    next_seq: u64,
    len: usize,
}

impl PendingQueue {
    pub fn push(&mut self, id: InstanceId, req: Request) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = class_of(&req);
        let q = self.classes.entry(key).or_default();
        if q.is_empty() {
            self.heads.insert(seq, (id, req));
        }
        q.push_back((seq, id, req));
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heads of the classes, oldest first: the candidates of the next retry.
    pub fn heads(&self) -> Vec<(u64, InstanceId, Request)> {
        let mut from = 0;
        std::iter::from_fn(|| {
            let h = self.next_head(from)?;
            from = h.0 + 1;
            Some(h)
        })
        .collect()
    }

    /// The oldest class head whose sequence number is at least `from`.
    pub fn next_head(&self, from: u64) -> Option<(u64, InstanceId, Request)> {
        let (&seq, &(id, req)) = self.heads.range(from..).next()?;
        Some((seq, id, req))
    }

    /// Removes the head of `req`'s class (which must be `id`).
    pub fn pop_head(&mut self, req: &Request, id: InstanceId) {
        let key = class_of(req);
        if let Some(q) = self.classes.get_mut(&key) {
            if let Some(&(seq, head, _)) = q.front() {
                if head == id {
                    q.pop_front();
                    self.len -= 1;
                    self.heads.remove(&seq);
                    match q.front() {
                        Some(&(next, id, req)) => {
                            self.heads.insert(next, (id, req));
                        }
                        None => {
                            self.classes.remove(&key);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(cpu: u64, mem: u64) -> Request {
        Request {
            cpu: CpuAmount::Millicores(cpu),
            memory: mem,
            vcpus: 0,
        }
    }

    fn id(slot: u32) -> InstanceId {
        InstanceId { slot, gen: 1 }
    }

    #[test]
    fn heads_are_one_per_class_oldest_first_and_follow_pops() {
        let mut p = PendingQueue::default();
        p.push(id(0), req(1000, 1)); // class A
        p.push(id(1), req(2000, 1)); // class B
        p.push(id(2), req(1000, 1)); // A
        p.push(id(3), req(500, 1)); // class C
        let slots = |p: &PendingQueue| p.heads().iter().map(|h| h.1.slot).collect::<Vec<_>>();
        assert_eq!(slots(&p), vec![0, 1, 3]);
        p.pop_head(&req(1000, 1), id(0));
        assert_eq!(slots(&p), vec![1, 2, 3]);
        p.pop_head(&req(1000, 1), id(1)); // not that class's head: no-op
        assert_eq!(p.len(), 3);
        p.pop_head(&req(2000, 1), id(1));
        assert_eq!(slots(&p), vec![2, 3]);
        assert_eq!(p.next_head(3).map(|h| h.1.slot), Some(3));
        assert_eq!(p.next_head(4), None);
        p.pop_head(&req(1000, 1), id(2));
        p.pop_head(&req(500, 1), id(3));
        assert!(p.is_empty());
        assert!(p.heads().is_empty());
        p.push(id(4), req(1000, 1));
        assert_eq!(slots(&p), vec![4]);
    }
}
