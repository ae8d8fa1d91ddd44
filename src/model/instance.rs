//! VMs and native pods while they exist: a slab of small records whose slots are reused,
//! so memory follows the number of live instances, not the number ever created.

use super::ids::{GroupId, HostId, ImageId};
use crate::engine::SimTime;
use crate::policy::{HostView, Request};
use crate::scenario::{CpuAmount, WorkloadSpec};

/// A generational handle: a slot index and the generation of the instance in it, so a
/// stale handle to a departed instance never reaches its slot's next occupant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct InstanceId {
    pub slot: u32,
    pub gen: u32,
}

/// Lifecycle state. A pod goes Pending -> Starting -> Running; on a supervisor cluster
/// Pending -> Scheduled (bound to a host, the binding in flight) -> Starting (the CRX
/// pipeline: Kubernetes' ContainerCreating) -> Running -> Terminating. A VM goes from
/// placement to Running, through Starting if it boots (guest-cluster nodes, control-plane
/// VMs). Succeeded and Failed pods are gone: they are counted, not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceState {
    /// Not placed: waiting for capacity (Kubernetes Pending).
    Pending,
    /// Bound to a host by the scheduler; the binding goes through the API.
    Scheduled,
    /// Placed; image pull and start-up under way.
    Starting,
    Running,
    /// Deleted; its CRX VM is shutting down and still holds its host's resources.
    Terminating,
}

/// One VM or pod. Kept small: the benchmark holds tens of thousands of them.
#[derive(Clone, Debug)]
pub struct Instance {
    pub gen: u32,
    /// Index of its workload group.
    pub group: GroupId,
    pub is_pod: bool,
    pub state: InstanceState,
    /// Host (global index) once placed.
    pub host: HostId,
    pub image: ImageId,
    pub request: Request,
    /// What the demand fraction applies to: vCPUs for a VM, the CPU limit (else the
    /// request) for a pod; configured memory (VM) or requested memory (pod).
    pub size_cpu: CpuAmount,
    pub size_mem: u64,
    /// The demand models' per-instance state (random-walk value, bursts phase or trace
    /// column), for CPU and for memory.
    pub demand_state: f32,
    pub mem_demand_state: f32,
    /// Its number within its group (0-based): names it in logs as `<group>-<index>`.
    pub index: u32,
    /// While a vMotion is under way: the destination host (else `HostId::NONE`).
    pub migrating_to: HostId,
    /// CPU (MHz) the vMotion costs on each of the source and destination.
    pub migration_overhead_mhz: u64,
    /// MHz and bytes reserved on the host (the request converted for that host).
    pub cpu_reserved_mhz: u64,
    pub mem_reserved: u64,
    /// CPU demand (MHz) and memory demand (bytes) while running.
    pub cpu_demand_mhz: u64,
    pub mem_demand: u64,
    /// When the instance was created (its arrival; on a supervisor cluster, when the
    /// API accepted it).
    pub created: SimTime,
    /// Supervisor pods: the start-up stage under way (`crx::Stage` index) and since when.
    pub stage: u8,
    pub stage_since: SimTime,
    /// Deployment pods: the revision (template) they were made from.
    pub revision: u8,
}

impl Instance {
    /// What the instance demands at `t_s` (seconds) on a host seen as `view`: CPU in MHz
    /// (its CPU size on that host times the CPU demand fraction) and memory in bytes (its
    /// memory size times the memory demand fraction).
    pub fn demand_on(&self, spec: &WorkloadSpec, view: &HostView, t_s: f64) -> (u64, u64) {
        let size_mhz = Request {
            cpu: self.size_cpu,
            ..self.request
        }
        .cpu_mhz_on(view);
        let cpu = spec.demand.fraction(t_s, self.demand_state as f64);
        let mem = spec
            .memory_demand
            .fraction(t_s, self.mem_demand_state as f64);
        (
            (size_mhz as f64 * cpu).round() as u64,
            (self.size_mem as f64 * mem).round() as u64,
        )
    }
}

/// Storage for live instances.
///
/// A slot's generation is odd while an instance lives in it and even while it is free:
/// `insert` and `remove` each add one. A handle therefore matches its slot only while
/// its own instance is there, with no separate liveness flag to look up (one memory
/// access per lookup, not two).
#[derive(Default)]
pub struct Instances {
    slots: Vec<Instance>,
    free: Vec<u32>,
    count: usize,
}

impl Instances {
    pub fn insert(&mut self, mut inst: Instance) -> InstanceId {
        self.count += 1;
        match self.free.pop() {
            Some(slot) => {
                let gen = self.slots[slot as usize].gen.wrapping_add(1);
                inst.gen = gen;
                self.slots[slot as usize] = inst;
                InstanceId { slot, gen }
            }
            None => {
                inst.gen = 1;
                self.slots.push(inst);
                InstanceId {
                    slot: (self.slots.len() - 1) as u32,
                    gen: 1,
                }
            }
        }
    }

    #[inline]
    pub fn get(&self, id: InstanceId) -> Option<&Instance> {
        self.slots.get(id.slot as usize).filter(|s| s.gen == id.gen)
    }

    #[inline]
    pub fn get_mut(&mut self, id: InstanceId) -> Option<&mut Instance> {
        self.slots
            .get_mut(id.slot as usize)
            .filter(|s| s.gen == id.gen)
    }

    pub fn remove(&mut self, id: InstanceId) -> Option<Instance> {
        let slot = self.get_mut(id)?;
        let inst = slot.clone();
        slot.gen = slot.gen.wrapping_add(1); // even: free
        self.free.push(id.slot);
        self.count -= 1;
        Some(inst)
    }

    /// Live instances.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Slots allocated (live or free): the high-water mark of live instances.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Live instances in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = &Instance> {
        self.slots.iter().filter(|i| i.gen % 2 == 1)
    }

    /// Live instances with their handles, in slot order.
    pub fn iter_with_ids(&self) -> impl Iterator<Item = (InstanceId, &Instance)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, i)| i.gen % 2 == 1)
            .map(|(s, i)| {
                (
                    InstanceId {
                        slot: s as u32,
                        gen: i.gen,
                    },
                    i,
                )
            })
    }

    /// Live instances in slot order, mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Instance> {
        self.slots.iter_mut().filter(|i| i.gen % 2 == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst() -> Instance {
        Instance {
            gen: 0,
            group: GroupId(0),
            is_pod: true,
            state: InstanceState::Pending,
            host: HostId(0),
            image: ImageId(0),
            request: Request {
                cpu: CpuAmount::Millicores(1),
                memory: 1,
                vcpus: 0,
            },
            size_cpu: CpuAmount::Millicores(1),
            size_mem: 1,
            demand_state: 0.0,
            mem_demand_state: 0.0,
            index: 0,
            migrating_to: HostId::NONE,
            migration_overhead_mhz: 0,
            cpu_reserved_mhz: 0,
            mem_reserved: 0,
            cpu_demand_mhz: 0,
            mem_demand: 0,
            created: SimTime::ZERO,
            stage: 0,
            stage_since: SimTime::ZERO,
            revision: 0,
        }
    }

    #[test]
    fn a_stale_handle_does_not_reach_the_slots_next_occupant() {
        let mut s = Instances::default();
        let a = s.insert(inst());
        s.remove(a);
        let b = s.insert(inst());
        assert_eq!(a.slot, b.slot);
        assert!(s.get(a).is_none());
        assert!(s.get(b).is_some());
        assert_eq!(s.len(), 1);
        assert_eq!(s.capacity(), 1);
    }

    #[test]
    fn iteration_lists_only_live_instances_in_slot_order() {
        let mut s = Instances::default();
        let ids: Vec<InstanceId> = (0..4)
            .map(|g| {
                let mut i = inst();
                i.group = GroupId(g);
                s.insert(i)
            })
            .collect();
        s.remove(ids[1]);
        s.remove(ids[3]);
        assert!(s.get(ids[1]).is_none());
        assert!(s.remove(ids[1]).is_none(), "a second remove is a no-op");
        assert_eq!(s.iter().map(|i| i.group.0).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(s.len(), 2);
    }
}

#[cfg(test)]
mod size {
    /// The per-pod record stays small: it is most of a live pod's memory.
    #[test]
    fn an_instance_record_is_at_most_160_bytes() {
        let n = std::mem::size_of::<super::Instance>();
        println!("size_of::<Instance>() = {n}");
        assert!(n <= 160, "{n} bytes");
    }
}
