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
    next_seq: u64,
    len: usize,
}

impl PendingQueue {
    pub fn push(&mut self, id: InstanceId, req: Request) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.classes
            .entry(class_of(&req))
            .or_default()
            .push_back((seq, id, req));
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
        let mut h: Vec<_> = self
            .classes
            .values()
            .filter_map(|q| q.front().copied())
            .collect();
        h.sort_by_key(|e| e.0);
        h
    }

    /// Removes the head of `req`'s class (which must be `id`).
    pub fn pop_head(&mut self, req: &Request, id: InstanceId) {
        let key = class_of(req);
        if let Some(q) = self.classes.get_mut(&key) {
            if q.front().map(|e| e.1) == Some(id) {
                q.pop_front();
                self.len -= 1;
                if q.is_empty() {
                    self.classes.remove(&key);
                }
            }
        }
    }
}
