//! Cloud Native Storage: a pod's PersistentVolumeClaim becomes a volume on a datastore.
//!
//! The pod's storage class names a storage policy (SPBM); the volume goes on the shared
//! datastore that satisfies the policy and has the most free space (ties to the first
//! declared), and takes `volume_provision` to create. The space is reserved when the
//! volume is chosen, so datastore capacity is never exceeded. A pod waits (Pending) for
//! its volume; when no datastore has room it waits until a volume is deleted. A volume
//! is deleted with its pod (reclaim policy Delete).

use super::crx::Stage;
use super::event::Event;
use super::ids::ClusterId;
use super::instance::InstanceId;
use super::world::{Observer, World};
use crate::engine::{Id, SimTime};

impl World {
    /// Starts provisioning the pod's volume, or queues the pod until space frees.
    pub(super) fn provision_volume<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        obs: &mut O,
    ) {
        let group = self.instances.get(pod).expect("live pod").group;
        let spec = &self.groups[group].spec;
        let vol = spec.volume.clone().expect("a pod with a volume");
        let cluster = ClusterId::from_index(spec.cluster);
        let best = self
            .images
            .datastores
            .iter()
            .enumerate()
            .filter(|(i, d)| {
                d.shared
                    && self.datastore_cluster[*i] == cluster
                    && d.policies.contains(&vol.policy)
                    && d.free_for_volumes() >= vol.size
            })
            .max_by(|a, b| {
                a.1.free_for_volumes()
                    .cmp(&b.1.free_for_volumes())
                    .then(b.0.cmp(&a.0))
            })
            .map(|(i, _)| i);
        match best {
            Some(d) => {
                self.images.datastores[d].volume_bytes += vol.size;
                self.volumes.insert(pod, (d as u32, vol.size));
                let took = self.clusters[cluster]
                    .supervisor
                    .as_ref()
                    .expect("supervised")
                    .spec
                    .volume_provision;
                self.queue.schedule_in(took, Event::VolumeReady { pod });
            }
            None => {
                obs.volume_waiting(now, group);
                self.volume_waiting.push_back(pod);
            }
        }
    }

    pub(super) fn on_volume_ready<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        obs: &mut O,
    ) {
        let Some(inst) = self.instances.get(pod) else {
            return;
        };
        if inst.stage != Stage::Volume as u8 {
            return;
        }
        let cluster = ClusterId::from_index(self.groups[inst.group].spec.cluster);
        let since = inst.stage_since;
        obs.pod_stage(now, self, pod, Stage::Volume, now - since);
        self.set_stage(now, pod, Stage::Scheduling);
        self.enqueue_for_scheduling(now, cluster, pod);
    }

    /// Deletes the pod's volume, if it has one, and retries the pods waiting for space.
    pub(super) fn release_volume<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        obs: &mut O,
    ) {
        if let Some((d, bytes)) = self.volumes.remove(&pod) {
            self.images.datastores[d as usize].volume_bytes -= bytes;
            let waiting = std::mem::take(&mut self.volume_waiting);
            for p in waiting {
                if self
                    .instances
                    .get(p)
                    .is_some_and(|i| i.stage == Stage::Volume as u8)
                {
                    self.provision_volume(now, p, obs);
                }
            }
        }
    }
}
