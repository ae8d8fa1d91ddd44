//! A native pod's life on a supervisor cluster, as the API server, the scheduler and the
//! host's Spherelet drive it: created (admitted against its namespace's quota), its
//! volume provisioned, scheduled, bound, started stage by stage in its CRX (`crx.rs`),
//! reported Running, and at its end Terminating, then gone.
//!
//! Lifecycle states (`InstanceState`): Pending (created, not yet on a host), Scheduled
//! (bound to a host, the binding in flight), Starting (the CRX stages: Kubernetes'
//! ContainerCreating), Running, Terminating. Succeeded and failed pods are counted and
//! dropped.

use super::crx::Stage;
use super::event::Event;
use super::ids::{ClusterId, GroupId, HostId};
use super::instance::{InstanceId, InstanceState};
use super::namespace::Usage;
use super::registry::Lookup;
use super::supervisor::ApiCall;
use super::world::{Observer, World};
use crate::engine::{Id, SimTime};
use crate::scenario::Controller;

impl World {
    fn cluster_of(&self, group: GroupId) -> ClusterId {
        ClusterId::from_index(self.groups[group].spec.cluster)
    }

    /// An arrival of a supervised pod group or a deployment / job: the user's request
    /// goes to the API.
    pub(super) fn supervised_arrival(&mut self, now: SimTime, group: GroupId) {
        let cluster = self.cluster_of(group);
        let call = match self.groups[group].spec.controller {
            Controller::Arrivals => ApiCall::CreatePod { group, revision: 0 },
            _ => ApiCall::CreateObject { group },
        };
        self.api_submit(now, cluster, call, true);
    }

    /// What a pod counts against its namespace.
    pub(super) fn usage_of(&self, inst: &super::instance::Instance) -> Usage {
        let spec = &self.groups[inst.group].spec;
        let core_mhz = self.clusters[self.cluster_of(inst.group)].mean_core_mhz;
        let cpu_mhz = match inst.request.cpu {
            crate::scenario::CpuAmount::Millicores(m) => {
                (m as f64 / 1000.0 * core_mhz).round() as u64
            }
            crate::scenario::CpuAmount::Mhz(m) => m,
        };
        Usage {
            cpu_mhz,
            memory: inst.request.memory,
            storage: spec.volume.as_ref().map_or(0, |v| v.size),
        }
    }

    /// The API accepted a pod's creation (submitted at `submitted`): admission against
    /// the namespace's quota, then its volume or the scheduling queue.
    pub(super) fn pod_created<O: Observer>(
        &mut self,
        now: SimTime,
        group: GroupId,
        revision: u8,
        submitted: SimTime,
        obs: &mut O,
    ) {
        self.groups[group].created += 1;
        let mut inst = self.new_instance(now, group);
        inst.revision = revision;
        if let Some(image) = self.rollout_image(group, revision) {
            inst.image = image;
        }
        let usage = self.usage_of(&inst);
        if let Some(ns) = self.groups[group].spec.namespace {
            if let Err(why) = self.namespaces[ns].admit(usage) {
                obs.quota_refused(now, self, group, why);
                self.controller_refused(now, group, revision, ns);
                return;
            }
        }
        let id = self.instances.insert(inst);
        obs.arrived(now, self, group);
        obs.pod_stage(now, self, id, Stage::ApiCreate, now - submitted);
        self.controller_pod_created(now, id);
        if self.groups[group].spec.volume.is_some() {
            self.set_stage(now, id, Stage::Volume);
            self.provision_volume(now, id, obs);
        } else {
            self.set_stage(now, id, Stage::Scheduling);
            let cluster = self.cluster_of(group);
            self.enqueue_for_scheduling(now, cluster, id);
        }
    }

    pub(super) fn set_stage(&mut self, now: SimTime, pod: InstanceId, stage: Stage) {
        let inst = self.instances.get_mut(pod).expect("live pod");
        inst.stage = stage as u8;
        inst.stage_since = now;
    }

    /// Ends the pod's current stage (telling the observer how long it took) and starts
    /// `next`.
    fn next_stage<O: Observer>(&mut self, now: SimTime, pod: InstanceId, next: Stage, obs: &mut O) {
        let inst = self.instances.get(pod).expect("live pod");
        let (stage, since) = (Stage::from_index(inst.stage), inst.stage_since);
        obs.pod_stage(now, self, pod, stage, now - since);
        self.set_stage(now, pod, next);
    }

    /// The scheduler's cycle for a Pending pod: Kubernetes' filters and DRS choose a
    /// host, or the pod stays Pending until capacity frees.
    pub(super) fn schedule_pod<O: Observer>(&mut self, now: SimTime, pod: InstanceId, obs: &mut O) {
        self.try_place(now, pod, obs, true);
    }

    /// `place_on` for a supervised pod: the host is chosen and reserved; when the DRS
    /// call returns, the pod is bound through the API.
    pub(super) fn pod_scheduled(&mut self, _now: SimTime, pod: InstanceId) {
        self.instances.get_mut(pod).expect("live pod").state = InstanceState::Scheduled;
        let host = self.instances.get(pod).expect("live").host;
        self.kube_bind(pod, host, true);
        let cluster = self.cluster_of(self.instances.get(pod).expect("live").group);
        let call = self.clusters[cluster]
            .supervisor
            .as_ref()
            .expect("supervised")
            .spec
            .drs_call;
        self.queue.schedule_in(call, Event::PodStage { pod });
    }

    /// The DRS call is back: the binding goes to the API.
    fn bind<O: Observer>(&mut self, now: SimTime, pod: InstanceId, obs: &mut O) {
        self.next_stage(now, pod, Stage::Bind, obs);
        let cluster = self.cluster_of(self.instances.get(pod).expect("live").group);
        self.api_submit(now, cluster, ApiCall::Bind { pod }, false);
    }

    /// The binding is done: the Spherelet starts the pod's CRX.
    pub(super) fn pod_bound<O: Observer>(&mut self, now: SimTime, pod: InstanceId, obs: &mut O) {
        let Some(inst) = self.instances.get(pod) else {
            return;
        };
        if inst.state != InstanceState::Scheduled {
            return; // deleted meanwhile
        }
        let host = inst.host;
        self.instances.get_mut(pod).expect("live").state = InstanceState::Starting;
        self.clusters[self.hosts[host].cluster].pods_starting += 1;
        self.next_stage(now, pod, Stage::CreateVm, obs);
        self.run_stage(now, pod, obs);
    }

    /// Starts the pod's current CRX stage: its end is scheduled, except an image that
    /// must be fetched first.
    fn run_stage<O: Observer>(&mut self, now: SimTime, pod: InstanceId, obs: &mut O) {
        let inst = self.instances.get(pod).expect("live pod");
        let stage = Stage::from_index(inst.stage);
        let (host, image) = (inst.host, inst.image);
        let cluster = self.hosts[host].cluster;
        let crx = self.clusters[cluster]
            .supervisor
            .as_ref()
            .expect("supervised")
            .spec
            .crx;
        if stage == Stage::Image {
            let bytes = self.image_sizes[image];
            match self.images.lookup(now, host, image, bytes, pod) {
                Lookup::Cached => obs.image_cache_hit(now),
                Lookup::Waiting(_) => return,
                Lookup::Started(fetch) => {
                    let startup = self.clusters[cluster]
                        .supervisor
                        .as_ref()
                        .expect("supervised")
                        .spec
                        .fetcher_startup;
                    self.queue.schedule_in(startup, Event::FetcherUp { fetch });
                    return;
                }
            }
        }
        self.queue
            .schedule_in(stage.duration(&crx), Event::PodStage { pod });
    }

    pub(super) fn on_pod_stage<O: Observer>(&mut self, now: SimTime, pod: InstanceId, obs: &mut O) {
        let Some(inst) = self.instances.get(pod) else {
            return;
        };
        if inst.state == InstanceState::Scheduled && inst.stage == Stage::Scheduling as u8 {
            return self.bind(now, pod, obs);
        }
        if inst.state != InstanceState::Starting {
            return; // deleted meanwhile
        }
        let stage = Stage::from_index(inst.stage);
        match stage.next_on_host() {
            Some(next) => {
                self.next_stage(now, pod, next, obs);
                self.run_stage(now, pod, obs);
            }
            None => {
                // Ready: the Spherelet reports it through the API.
                self.next_stage(now, pod, Stage::Status, obs);
                let cluster = self.hosts[self.instances.get(pod).expect("live").host].cluster;
                self.api_submit(now, cluster, ApiCall::Status { pod }, false);
            }
        }
    }

    /// The API has the pod Running: its start-up is over.
    pub(super) fn pod_reported_running<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        obs: &mut O,
    ) {
        let Some(inst) = self.instances.get(pod) else {
            return;
        };
        if inst.state != InstanceState::Starting || Stage::from_index(inst.stage) != Stage::Status {
            return;
        }
        let (group, created, host) = (inst.group, inst.created, inst.host);
        obs.pod_stage(now, self, pod, Stage::Status, now - inst.stage_since);
        self.clusters[self.hosts[host].cluster].pods_starting -= 1;
        obs.pod_running(now, group, now - created);
        self.start_running(now, pod);
        // A Running pod becomes an endpoint of the Services that select it.
        self.traffic_pod_running(now, pod, obs);
        self.controller_pod_ready(now, pod, obs);
    }

    /// An image fetcher pod is up: its pull joins the registry's.
    pub(super) fn on_fetcher_up<O: Observer>(&mut self, now: SimTime, fetch: u32, obs: &mut O) {
        let bytes = self.images.fetch(fetch).bytes;
        obs.image_pull_started(now, bytes);
        self.images.registry.arrive(now, fetch as u64, bytes as f64);
        self.reschedule_registry();
    }

    fn reschedule_registry(&mut self) {
        if let Some(k) = self.images.next_done.take() {
            self.queue.cancel(k);
        }
        if let Some(t) = self.images.registry.next_completion() {
            self.images.next_done = Some(self.queue.schedule_at(t, Event::RegistryPullDone));
        }
    }

    pub(super) fn on_registry_pull_done<O: Observer>(&mut self, now: SimTime, obs: &mut O) {
        self.images.next_done = None;
        for fetch in self.images.registry.complete(now) {
            let (f, stored) = self.images.finish(now, fetch as u32);
            obs.image_fetched(
                now,
                f.bytes,
                now - f.started,
                stored.evicted,
                stored.overflow,
            );
            for pod in f.waiters {
                let waiting = self.instances.get(pod).is_some_and(|i| {
                    i.state == InstanceState::Starting && Stage::from_index(i.stage) == Stage::Image
                });
                if waiting {
                    let host = self.instances.get(pod).expect("live").host;
                    let crx = self.clusters[self.hosts[host].cluster]
                        .supervisor
                        .as_ref()
                        .expect("supervised")
                        .spec
                        .crx;
                    self.queue
                        .schedule_in(Stage::Image.duration(&crx), Event::PodStage { pod });
                } else {
                    self.images.drop_user(f.datastore, f.image);
                }
            }
        }
        self.reschedule_registry();
    }

    /// A supervised pod's lifetime is over (Succeeded) or it is deleted or evicted: it
    /// is Terminating; its CRX VM goes away after the termination time.
    pub(super) fn terminate_pod<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        succeeded: bool,
        obs: &mut O,
    ) {
        let Some(inst) = self.instances.get(pod) else {
            return;
        };
        let (state, group, host) = (inst.state, inst.group, inst.host);
        if state == InstanceState::Terminating {
            return;
        }
        let cluster = self.cluster_of(group);
        if state == InstanceState::Pending {
            // Not on a host: nothing to shut down. (A pod waiting in the scheduler's or
            // the pending queue is skipped there once gone.)
            obs.pod_finished(now, group, pod, succeeded);
            self.controller_pod_gone(now, pod, succeeded, obs);
            self.remove_supervised(now, pod, obs);
            return;
        }
        {
            let c = &mut self.clusters[self.hosts[host].cluster];
            match state {
                InstanceState::Starting => c.pods_starting -= 1,
                InstanceState::Running => c.pods_running -= 1,
                _ => {}
            }
        }
        // Terminating pods no longer count for the scheduler's affinity and spread.
        self.kube_bind(pod, host, false);
        self.instances.get_mut(pod).expect("live").state = InstanceState::Terminating;
        obs.pod_finished(now, group, pod, succeeded);
        self.controller_pod_gone(now, pod, succeeded, obs);
        let grace = self.clusters[cluster]
            .supervisor
            .as_ref()
            .expect("supervised")
            .spec
            .termination;
        self.queue.schedule_in(grace, Event::PodTerminated { pod });
    }

    pub(super) fn on_pod_terminated<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        obs: &mut O,
    ) {
        if self.instances.get(pod).is_some() {
            self.remove_supervised(now, pod, obs);
        }
    }

    /// Removes a supervised pod: its host's resources (as any departure), its namespace
    /// usage, its image's use and its volume.
    fn remove_supervised<O: Observer>(&mut self, now: SimTime, pod: InstanceId, obs: &mut O) {
        let inst = self.instances.get(pod).expect("live pod").clone();
        let usage = self.usage_of(&inst);
        if let Some(ns) = self.groups[inst.group].spec.namespace {
            self.namespaces[ns].release(usage);
        }
        if inst.host != HostId::NONE {
            // A pod past its image stage uses the image; one in it too, unless it is
            // still waiting for a fetch (then it is not counted yet).
            let stage = Stage::from_index(inst.stage);
            let used_image = stage > Stage::Image
                || (stage == Stage::Image && !self.images.is_fetching(inst.host, inst.image));
            if used_image {
                self.images.release(inst.host, inst.image);
            }
        }
        self.release_volume(now, pod, obs);
        if inst.state == InstanceState::Pending {
            self.instances.remove(pod);
            obs.departed(now, self, inst.group);
        } else {
            self.remove_instance(now, pod, obs);
        }
        if let Some(ns) = self.groups[inst.group].spec.namespace {
            self.unblock_namespace(now, ns, obs);
        }
    }
}
