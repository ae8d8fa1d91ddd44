//! vSphere Namespaces at run time: what their pods request and their volumes hold,
//! against their quotas, the way Kubernetes' ResourceQuota admission plugin counts it.
//!
//! A pod is admitted when, with its requests added, the namespace's sum of CPU requests,
//! memory requests and persistent-volume sizes each stays within the quota; otherwise the
//! API refuses it (`exceeded quota`), naming the first resource that would go over. The
//! usage falls when a pod is deleted (at the end of Terminating, when Kubernetes removes
//! it) and a controller whose creations were refused tries again.

use crate::scenario::NamespaceSpec;
use serde::Serialize;

/// Why the API refused a pod: the resource its namespace's quota has no room for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaReason {
    Cpu,
    Memory,
    Storage,
}

impl QuotaReason {
    pub const ALL: [QuotaReason; 3] = [QuotaReason::Cpu, QuotaReason::Memory, QuotaReason::Storage];

    pub fn key(self) -> &'static str {
        match self {
            QuotaReason::Cpu => "cpu",
            QuotaReason::Memory => "memory",
            QuotaReason::Storage => "storage",
        }
    }
}

/// What one pod counts against its namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_mhz: u64,
    pub memory: u64,
    pub storage: u64,
}

/// A namespace's quota and what is used of it.
#[derive(Clone, Debug)]
pub struct Namespace {
    pub spec: NamespaceSpec,
    pub used: Usage,
    /// Controllers (their groups) whose pod creations were refused, to retry on release.
    pub blocked: std::collections::BTreeSet<super::ids::GroupId>,
}

impl Namespace {
    pub fn new(spec: NamespaceSpec) -> Self {
        Namespace {
            spec,
            used: Usage::default(),
            blocked: Default::default(),
        }
    }

    /// Admits `u` (and counts it), or says which quota it would exceed.
    pub fn admit(&mut self, u: Usage) -> Result<(), QuotaReason> {
        let over = |used: u64, add: u64, quota: Option<u64>| quota.is_some_and(|q| used + add > q);
        if over(self.used.cpu_mhz, u.cpu_mhz, self.spec.cpu_mhz) {
            return Err(QuotaReason::Cpu);
        }
        if over(self.used.memory, u.memory, self.spec.memory) {
            return Err(QuotaReason::Memory);
        }
        if over(self.used.storage, u.storage, self.spec.storage) {
            return Err(QuotaReason::Storage);
        }
        self.used.cpu_mhz += u.cpu_mhz;
        self.used.memory += u.memory;
        self.used.storage += u.storage;
        Ok(())
    }

    /// A pod that was admitted is gone.
    pub fn release(&mut self, u: Usage) {
        self.used.cpu_mhz -= u.cpu_mhz;
        self.used.memory -= u.memory;
        self.used.storage -= u.storage;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(cpu: Option<u64>, mem: Option<u64>, storage: Option<u64>) -> Namespace {
        Namespace::new(NamespaceSpec {
            name: "team-a".into(),
            cluster: 0,
            cpu_mhz: cpu,
            memory: mem,
            storage,
            storage_policies: None,
        })
    }

    #[test]
    fn pods_are_admitted_until_the_quota_is_reached_and_after_a_release() {
        // 10 GHz of CPU quota, 1 GHz pods: ten fit, the eleventh is refused for CPU.
        let mut n = ns(Some(10_000), None, None);
        let pod = Usage {
            cpu_mhz: 1000,
            memory: 1 << 30,
            storage: 0,
        };
        for _ in 0..10 {
            assert_eq!(n.admit(pod), Ok(()));
        }
        assert_eq!(n.admit(pod), Err(QuotaReason::Cpu));
        n.release(pod);
        assert_eq!(n.admit(pod), Ok(()));
    }

    #[test]
    fn the_first_resource_over_its_quota_is_named() {
        let mut n = ns(Some(100), Some(1000), Some(10));
        let u = |c, m, s| Usage {
            cpu_mhz: c,
            memory: m,
            storage: s,
        };
        assert_eq!(n.admit(u(50, 2000, 20)), Err(QuotaReason::Memory));
        assert_eq!(n.admit(u(50, 500, 20)), Err(QuotaReason::Storage));
        assert_eq!(n.admit(u(500, 500, 5)), Err(QuotaReason::Cpu));
        assert_eq!(n.used, Usage::default(), "refusals count nothing");
    }
}
