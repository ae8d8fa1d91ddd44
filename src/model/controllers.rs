//! Kubernetes controllers in the supervisor's control plane: Deployments and Jobs.
//!
//! **Deployment** (the ReplicaSet controller folded in): keeps `replicas` pods of its
//! current revision, creating replacements for pods that end or are evicted and
//! deleting surplus ones (not-ready first). A rolling update starts a new revision and
//! follows Kubernetes' rules: at most `replicas + max_surge` pods in all, at least
//! `replicas − max_unavailable` available (Running) ones; new pods are created as room
//! allows, old ones deleted as availability allows, until every pod is of the new
//! revision and Running (the rollout's duration is a metric).
//!
//! **Job**: runs pods until `completions` have succeeded, at most `parallelism` at once
//! (each pod's run time is the group's lifetime); its duration, from the Job's creation
//! to its last success, is a metric.
//!
//! Terminating pods do not count (as in Kubernetes, a ReplicaSet replaces a pod that is
//! being deleted). A creation the namespace's quota refuses is retried when the
//! namespace frees room; creations under way (requests in the API) count, so a burst of
//! events never over-creates.

use super::event::Event;
use super::ids::{ClusterId, GroupId};
use super::instance::{InstanceId, InstanceState};
use super::supervisor::ApiCall;
use super::world::{Observer, World};
use crate::engine::{Id, SimTime};
use crate::scenario::Controller;
use std::collections::BTreeMap;

/// A controller's state.
#[derive(Clone, Debug)]
pub enum ControllerState {
    Deployment(DeploymentState),
    Job(JobState),
}

#[derive(Clone, Debug, Default)]
pub struct DeploymentState {
    pub created: Option<SimTime>,
    pub replicas: u32,
    pub revision: u8,
    pub max_surge: u32,
    pub max_unavailable: u32,
    /// When the rollout under way started.
    pub rolling_since: Option<SimTime>,
    /// Live pods (not Terminating): revision and whether Running.
    pub pods: BTreeMap<InstanceId, (u8, bool)>,
    /// Creations in the API, by whether they are of the current revision.
    pub in_flight: u32,
    /// The namespace refused a creation: wait for it to free room.
    pub blocked: bool,
}

#[derive(Clone, Debug, Default)]
pub struct JobState {
    pub created: Option<SimTime>,
    pub completions: u32,
    pub parallelism: u32,
    pub succeeded: u32,
    /// Pods created and not finished, and creations in the API.
    pub active: u32,
    pub in_flight: u32,
    pub done: bool,
    pub blocked: bool,
}

impl ControllerState {
    pub fn for_group(c: &Controller) -> Option<ControllerState> {
        match c {
            Controller::Deployment(d) => Some(ControllerState::Deployment(DeploymentState {
                replicas: d.replicas,
                max_surge: d.rollout.as_ref().map_or(0, |r| r.max_surge),
                max_unavailable: d.rollout.as_ref().map_or(0, |r| r.max_unavailable),
                ..DeploymentState::default()
            })),
            Controller::Job {
                completions,
                parallelism,
            } => Some(ControllerState::Job(JobState {
                completions: *completions,
                parallelism: *parallelism,
                ..JobState::default()
            })),
            _ => None,
        }
    }
}

/// What a deployment's reconciliation decides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentActions {
    /// Pods of the current revision to create.
    pub create: u32,
    /// Pods to delete.
    pub delete: Vec<InstanceId>,
    /// The rollout under way is complete.
    pub rollout_done: bool,
}

impl DeploymentState {
    /// The next step towards `replicas` Running pods of the current revision, within
    /// the surge and unavailability bounds. Pure: the world carries it out.
    pub fn reconcile(&self) -> DeploymentActions {
        let cur = self.revision;
        let (mut new_total, mut new_ready, mut old_total, mut old_ready) =
            (self.in_flight, 0, 0, 0);
        for &(rev, ready) in self.pods.values() {
            if rev == cur {
                new_total += 1;
                new_ready += ready as u32;
            } else {
                old_total += 1;
                old_ready += ready as u32;
            }
        }
        let mut a = DeploymentActions::default();
        let n = self.replicas;
        if old_total == 0 {
            // Steady state: keep `replicas`.
            if new_total < n && !self.blocked {
                a.create = n - new_total;
            } else if new_total > n {
                a.delete = self.victims(cur, true, new_total - n);
            }
            a.rollout_done = self.rolling_since.is_some() && new_ready == n && new_total == n;
            return a;
        }
        // Rolling update: surge new pods within replicas + max_surge in all.
        let ceiling = n + self.max_surge;
        if new_total < n && !self.blocked {
            a.create = (n - new_total).min(ceiling.saturating_sub(new_total + old_total));
        }
        // Delete old pods as long as availability stays at replicas − max_unavailable;
        // not-ready old pods count for nothing and always go.
        let floor = n.saturating_sub(self.max_unavailable);
        let available = old_ready + new_ready;
        let not_ready_old = old_total - old_ready;
        let mut delete = self.victims(cur, false, not_ready_old);
        let can = available.saturating_sub(floor).min(old_ready);
        delete.extend(self.ready_victims(cur, can));
        a.delete = delete;
        a
    }

    /// Up to `k` pods to delete: of the current revision (`current`) or not, not-ready
    /// ones first, then the newest.
    fn victims(&self, cur: u8, current: bool, k: u32) -> Vec<InstanceId> {
        let mut list: Vec<(bool, std::cmp::Reverse<InstanceId>)> = self
            .pods
            .iter()
            .filter(|(_, (rev, _))| (*rev == cur) == current)
            .map(|(id, (_, ready))| (*ready, std::cmp::Reverse(*id)))
            .collect();
        list.sort();
        list.into_iter()
            .take(k as usize)
            .map(|(_, r)| r.0)
            .collect()
    }

    fn ready_victims(&self, cur: u8, k: u32) -> Vec<InstanceId> {
        self.pods
            .iter()
            .filter(|(_, (rev, ready))| *rev != cur && *ready)
            .map(|(id, _)| *id)
            .take(k as usize)
            .collect()
    }
}

impl JobState {
    /// Pods to create now.
    pub fn to_create(&self) -> u32 {
        if self.done || self.blocked {
            return 0;
        }
        let remaining = self.completions - self.succeeded;
        remaining
            .min(self.parallelism)
            .saturating_sub(self.active + self.in_flight)
    }
}

impl World {
    fn controller(&mut self, group: GroupId) -> Option<&mut ControllerState> {
        self.controllers[group.index()].as_mut()
    }

    /// The image of `revision` of a deployment (a rollout may change it).
    pub(super) fn rollout_image(
        &self,
        group: GroupId,
        revision: u8,
    ) -> Option<super::ids::ImageId> {
        match &self.groups[group].spec.controller {
            Controller::Deployment(d) if revision > 0 => d
                .rollout
                .as_ref()
                .and_then(|r| r.image)
                .map(super::ids::ImageId::from_index),
            _ => None,
        }
    }

    /// The API created a deployment or job object: its controller starts.
    pub(super) fn object_created<O: Observer>(
        &mut self,
        now: SimTime,
        group: GroupId,
        obs: &mut O,
    ) {
        match self.controller(group) {
            Some(ControllerState::Deployment(d)) => d.created = Some(now),
            Some(ControllerState::Job(j)) => j.created = Some(now),
            None => return,
        }
        if let Controller::Deployment(d) = &self.groups[group].spec.controller {
            for &(at, replicas) in &d.scale {
                let t = (SimTime::ZERO + at).max(now);
                if t <= self.end {
                    self.queue.schedule_at(t, Event::Scale { group, replicas });
                }
            }
            if let Some(r) = &d.rollout {
                let t = (SimTime::ZERO + r.at).max(now);
                if t <= self.end {
                    self.queue.schedule_at(t, Event::Rollout { group });
                }
            }
        }
        self.reconcile(now, group, obs);
    }

    pub(super) fn on_scale<O: Observer>(
        &mut self,
        now: SimTime,
        group: GroupId,
        replicas: u32,
        obs: &mut O,
    ) {
        if let Some(ControllerState::Deployment(d)) = self.controller(group) {
            d.replicas = replicas;
        }
        self.reconcile(now, group, obs);
    }

    pub(super) fn on_rollout<O: Observer>(&mut self, now: SimTime, group: GroupId, obs: &mut O) {
        if let Some(ControllerState::Deployment(d)) = self.controller(group) {
            d.revision = d.revision.saturating_add(1);
            d.rolling_since = Some(now);
        }
        self.reconcile(now, group, obs);
    }

    /// Brings a controller's pods towards what it wants.
    pub(super) fn reconcile<O: Observer>(&mut self, now: SimTime, group: GroupId, obs: &mut O) {
        let cluster = ClusterId::from_index(self.groups[group].spec.cluster);
        match self.controller(group) {
            Some(ControllerState::Deployment(d)) => {
                if d.created.is_none() {
                    return;
                }
                let a = d.reconcile();
                d.in_flight += a.create;
                let revision = d.revision;
                if a.rollout_done {
                    let since = d.rolling_since.take().expect("rolling");
                    obs.rollout_done(now, group, now - since);
                }
                for _ in 0..a.create {
                    self.api_submit(now, cluster, ApiCall::CreatePod { group, revision }, false);
                }
                for pod in a.delete {
                    self.terminate_pod(now, pod, false, obs);
                }
            }
            Some(ControllerState::Job(j)) => {
                if j.created.is_none() {
                    return;
                }
                let n = j.to_create();
                j.in_flight += n;
                for _ in 0..n {
                    self.api_submit(
                        now,
                        cluster,
                        ApiCall::CreatePod { group, revision: 0 },
                        false,
                    );
                }
            }
            None => {}
        }
    }

    /// A controller's pod was created by the API.
    pub(super) fn controller_pod_created(&mut self, _now: SimTime, pod: InstanceId) {
        let (group, revision) = {
            let i = self.instances.get(pod).expect("live");
            (i.group, i.revision)
        };
        match self.controller(group) {
            Some(ControllerState::Deployment(d)) => {
                d.in_flight = d.in_flight.saturating_sub(1);
                d.pods.insert(pod, (revision, false));
            }
            Some(ControllerState::Job(j)) => {
                j.in_flight = j.in_flight.saturating_sub(1);
                j.active += 1;
            }
            None => {}
        }
    }

    /// The namespace refused one of the controller's creations: it waits for room.
    pub(super) fn controller_refused(
        &mut self,
        _now: SimTime,
        group: GroupId,
        _revision: u8,
        namespace: usize,
    ) {
        let blocked = match self.controller(group) {
            Some(ControllerState::Deployment(d)) => {
                d.in_flight = d.in_flight.saturating_sub(1);
                d.blocked = true;
                true
            }
            Some(ControllerState::Job(j)) => {
                j.in_flight = j.in_flight.saturating_sub(1);
                j.blocked = true;
                true
            }
            None => false,
        };
        if blocked {
            self.namespaces[namespace].blocked.insert(group);
        }
    }

    /// The namespace freed room: its blocked controllers try again.
    pub(super) fn unblock_namespace<O: Observer>(
        &mut self,
        now: SimTime,
        namespace: usize,
        obs: &mut O,
    ) {
        let groups = std::mem::take(&mut self.namespaces[namespace].blocked);
        for group in groups {
            match self.controller(group) {
                Some(ControllerState::Deployment(d)) => d.blocked = false,
                Some(ControllerState::Job(j)) => j.blocked = false,
                None => continue,
            }
            self.reconcile(now, group, obs);
        }
    }

    pub(super) fn controller_pod_ready<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        obs: &mut O,
    ) {
        let group = self.instances.get(pod).expect("live").group;
        if let Some(ControllerState::Deployment(d)) = self.controller(group) {
            if let Some(p) = d.pods.get_mut(&pod) {
                p.1 = true;
            }
            self.reconcile(now, group, obs);
        }
    }

    /// A controller's pod ended (`succeeded`: it ran to completion) or was deleted.
    pub(super) fn controller_pod_gone<O: Observer>(
        &mut self,
        now: SimTime,
        pod: InstanceId,
        succeeded: bool,
        obs: &mut O,
    ) {
        let Some(group) = self.instances.get(pod).map(|i| i.group) else {
            return;
        };
        let mut job_done = None;
        match self.controller(group) {
            Some(ControllerState::Deployment(d)) => {
                d.pods.remove(&pod);
            }
            Some(ControllerState::Job(j)) => {
                j.active = j.active.saturating_sub(1);
                if succeeded {
                    j.succeeded += 1;
                    if j.succeeded >= j.completions && !j.done {
                        j.done = true;
                        job_done = j.created;
                    }
                }
            }
            None => return,
        }
        if let Some(created) = job_done {
            obs.job_done(now, group, now - created);
        }
        self.reconcile(now, group, obs);
    }

    /// Whether a job is done, and since when it was created (for its duration metric).
    pub fn job_created(&self, group: GroupId) -> Option<SimTime> {
        match &self.controllers[group.index()] {
            Some(ControllerState::Job(j)) => j.created,
            _ => None,
        }
    }

    /// Pods of a controller counted by state, for checks: (live, running).
    pub fn controller_pods(&self, group: GroupId) -> (usize, usize) {
        let mut live = 0;
        let mut running = 0;
        for i in self.instances.iter().filter(|i| i.group == group) {
            if i.state != InstanceState::Terminating {
                live += 1;
                running += (i.state == InstanceState::Running) as usize;
            }
        }
        (live, running)
    }
}
