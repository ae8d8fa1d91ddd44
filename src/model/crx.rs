//! The start-up of a native pod (a vSphere Pod), stage by stage, from its creation in
//! the Kubernetes API to Running as the API sees it.
//!
//! A native pod is a small VM — the CRX, VMware's container runtime for ESXi — whose
//! Linux kernel is booted by jumping straight to its entry point. Its start-up, as this
//! model runs it:
//!
//! | stage | who | default |
//! |---|---|---|
//! | `api_create` | the create request through the API server (and the Token Exchange Service for a user's request) | the API's queue and service time |
//! | `volume` | CNS provisions the pod's persistent volume, if it has one | 5 s (assumption) |
//! | `scheduling` | kube-scheduler's filtering, then the scheduler extension asks DRS for the host (waiting in the scheduler's queue included) | 30 ms a pod (assumption) |
//! | `bind` | the binding through the API server, watched by the host's Spherelet | the API's queue and service time |
//! | `create_vm` | vCenter / hostd create the CRX VM | 200 ms |
//! | `power_on` | hostd powers it on | 300 ms |
//! | `image` | the image: attach the datastore's cached copy, after an image-fetcher system pod pulled it from the registry if the datastore did not have it | 100 ms attach + any fetch |
//! | `disk_and_nic` | VMDK and vNIC attach | 200 ms |
//! | `kernel_boot` | the Linux kernel's direct boot | 300 ms |
//! | `agent_start` | the Spherelet agent inside the CRX | 100 ms |
//! | `container_start` | the containers start | 200 ms |
//! | `readiness` | until the pod is Ready (no readiness probe: at once) | 0 |
//! | `status` | the Spherelet reports Running through the API server | the API's queue and service time |
//!
//! **No public CRX timings exist** (none were found in VMware's documentation, blogs or
//! papers): every CRX stage default is an assumption, documented where it is defined
//! (`scenario/validate/supervisor.rs`) and overridable per cluster (`supervisor.crx`).
//! The Kubernetes pod start-up SLO (p99 ≤ 5 s, excluding image pulls; kubernetes/community
//! `sig-scalability/slos/pod_startup_latency.md`) is measured from creation to the
//! `status` stage's end, minus the time spent waiting for an image fetch.

use crate::engine::SimDuration;
use crate::scenario::CrxStages;
use serde::Serialize;

/// A stage of a native pod's start-up, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    ApiCreate,
    Volume,
    Scheduling,
    Bind,
    CreateVm,
    PowerOn,
    Image,
    DiskAndNic,
    KernelBoot,
    AgentStart,
    ContainerStart,
    Readiness,
    Status,
}

impl Stage {
    pub const ALL: [Stage; 13] = [
        Stage::ApiCreate,
        Stage::Volume,
        Stage::Scheduling,
        Stage::Bind,
        Stage::CreateVm,
        Stage::PowerOn,
        Stage::Image,
        Stage::DiskAndNic,
        Stage::KernelBoot,
        Stage::AgentStart,
        Stage::ContainerStart,
        Stage::Readiness,
        Stage::Status,
    ];

    /// The name used in `summary.json` keys and `pod_startup.csv` columns.
    pub fn name(self) -> &'static str {
        match self {
            Stage::ApiCreate => "api_create",
            Stage::Volume => "volume",
            Stage::Scheduling => "scheduling",
            Stage::Bind => "bind",
            Stage::CreateVm => "create_vm",
            Stage::PowerOn => "power_on",
            Stage::Image => "image",
            Stage::DiskAndNic => "disk_and_nic",
            Stage::KernelBoot => "kernel_boot",
            Stage::AgentStart => "agent_start",
            Stage::ContainerStart => "container_start",
            Stage::Readiness => "readiness",
            Stage::Status => "status",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(i: u8) -> Stage {
        Stage::ALL[i as usize]
    }

    /// The CRX stage after this one on the host (`None` after readiness: the status
    /// report goes through the API).
    pub fn next_on_host(self) -> Option<Stage> {
        match self {
            Stage::CreateVm => Some(Stage::PowerOn),
            Stage::PowerOn => Some(Stage::Image),
            Stage::Image => Some(Stage::DiskAndNic),
            Stage::DiskAndNic => Some(Stage::KernelBoot),
            Stage::KernelBoot => Some(Stage::AgentStart),
            Stage::AgentStart => Some(Stage::ContainerStart),
            Stage::ContainerStart => Some(Stage::Readiness),
            _ => None,
        }
    }

    /// How long a host stage takes (the image stage: its attach, after any fetch).
    pub fn duration(self, crx: &CrxStages) -> SimDuration {
        match self {
            Stage::CreateVm => crx.create_vm,
            Stage::PowerOn => crx.power_on,
            Stage::Image => crx.image_attach,
            Stage::DiskAndNic => crx.disk_and_nic,
            Stage::KernelBoot => crx.kernel_boot,
            Stage::AgentStart => crx.agent_start,
            Stage::ContainerStart => crx.container_start,
            Stage::Readiness => crx.readiness,
            _ => SimDuration::ZERO,
        }
    }
}

/// The time a pod spends on its host's CRX stages when nothing waits (its image cached).
pub fn host_stages_total(crx: &CrxStages) -> SimDuration {
    let mut total = SimDuration::ZERO;
    let mut s = Some(Stage::CreateVm);
    while let Some(stage) = s {
        total = total + stage.duration(crx);
        s = stage.next_on_host();
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_stages_run_in_order_and_add_up() {
        let ms = SimDuration::from_millis;
        let crx = CrxStages {
            create_vm: ms(1),
            power_on: ms(2),
            image_attach: ms(4),
            disk_and_nic: ms(8),
            kernel_boot: ms(16),
            agent_start: ms(32),
            container_start: ms(64),
            readiness: ms(128),
        };
        assert_eq!(host_stages_total(&crx), ms(255));
        let mut order = vec![Stage::CreateVm];
        while let Some(n) = order.last().unwrap().next_on_host() {
            order.push(n);
        }
        assert_eq!(order.len(), 8);
        assert!(order.windows(2).all(|w| w[0] < w[1]));
        for (i, s) in Stage::ALL.iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(Stage::from_index(i as u8), *s);
        }
    }
}
