//! Maintenance mode: a host stops taking work, its VMs leave by vMotion (mandatory moves,
//! outside DRS's threshold), its native pods are evicted (as a Kubernetes node drain
//! does), and once it holds nothing it is in maintenance until its window ends.
//!
//! A VM that fits on no other host stays, and is tried again whenever a migration ends
//! or an instance leaves the cluster; the host is marked in maintenance only when empty.

use super::event::Event;
use super::host::HostState;
use super::ids::HostId;
use super::world::{Observer, World};
use crate::engine::SimTime;
use crate::policy::Placement;

impl World {
    pub(super) fn on_enter_maintenance<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        obs: &mut O,
    ) {
        if self.hosts[host].state == HostState::On {
            self.start_draining(now, host, HostState::EnteringMaintenance, obs);
        }
    }

    pub(super) fn on_exit_maintenance<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        obs: &mut O,
    ) {
        // Only a host that is (entering) maintenance leaves it; a host that DPM holds
        // (standby, booting, draining for standby) stays with DPM.
        match self.hosts[host].state {
            HostState::EnteringMaintenance => {
                let cluster = self.hosts[host].cluster;
                self.clusters[cluster].entering_maintenance -= 1;
                self.return_to_service(now, host, obs);
            }
            HostState::Maintenance => self.return_to_service(now, host, obs),
            _ => {}
        }
    }

    /// Takes a host out of service to be emptied (`state`: for maintenance or standby).
    pub(super) fn start_draining<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        state: HostState,
        obs: &mut O,
    ) {
        let h = &mut self.hosts[host];
        h.state = state;
        h.maintenance_since = now;
        h.view.accepting = false;
        let cluster = h.cluster;
        self.clusters[cluster].entering_maintenance += 1;
        self.host_updated(now, host, obs);
        self.evacuate(now, host, obs);
        self.check_maintenance(now, host, obs);
    }

    /// Puts a host back in service: it takes work, and waiting instances are retried.
    pub(super) fn return_to_service<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        obs: &mut O,
    ) {
        let h = &mut self.hosts[host];
        h.state = HostState::On;
        h.view.accepting = true;
        let cluster = h.cluster;
        self.host_updated(now, host, obs);
        self.retry_pending_soon(now, cluster);
    }

    /// Evicts the host's pods and starts a vMotion for each VM that fits elsewhere.
    /// Not re-entered: an eviction is a departure, which would otherwise retry the
    /// evacuation from inside itself.
    pub(super) fn evacuate<O: Observer>(&mut self, now: SimTime, host: HostId, obs: &mut O) {
        if self.evacuating {
            return;
        }
        self.evacuating = true;
        let on_host: Vec<_> = self
            .instances
            .iter_with_ids()
            .filter(|(_, i)| {
                i.host == host
                    && i.migrating_to == HostId::NONE
                    && i.state != super::instance::InstanceState::Terminating
            })
            .map(|(id, i)| (id, i.is_pod, i.request, i.group))
            .collect();
        let cluster = self.hosts[host].cluster;
        let mut moves = Vec::new();
        for (id, is_pod, request, group) in on_host {
            if self
                .instances
                .get(id)
                .is_none_or(|i| i.host != host || i.migrating_to != HostId::NONE)
            {
                continue; // gone or moving since the list was made
            }
            if is_pod {
                obs.evicted(now, group);
                if self.supervised(group) {
                    // Evicted as a node drain does: Terminating, then gone; its
                    // controller replaces it elsewhere.
                    self.terminate_pod(now, id, false, obs);
                } else {
                    self.remove_instance(now, id, obs);
                }
                continue;
            }
            let src_local = self.hosts[host].local as usize;
            let (decision, _) = self.place_by_rules(group, &request, Some(src_local), &[]);
            if let Placement::Host(local) = decision {
                let dst = HostId(self.clusters[cluster].first_host.0 + local as u32);
                moves.push((id, dst));
                if self.clusters[cluster]
                    .slots
                    .try_start((id, host, dst), src_local, local)
                {
                    self.begin_migration(now, id, host, dst, obs);
                }
            }
        }
        if !moves.is_empty() {
            obs.evacuation(now, self, host, &moves);
        }
        self.evacuating = false;
    }

    /// Marks a host that is entering maintenance as in maintenance once nothing is on it
    /// or on its way to it.
    pub(super) fn check_maintenance<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        obs: &mut O,
    ) {
        let h = &self.hosts[host];
        if h.state.draining()
            && h.instances == 0
            && h.view.cpu_reserved_mhz == 0
            && h.view.mem_reserved == 0
        {
            let (since, cluster, state) = (h.maintenance_since, h.cluster, h.state);
            self.clusters[cluster].entering_maintenance -= 1;
            if state == HostState::EnteringStandby {
                // Empty: shut down to standby (DPM).
                self.hosts[host].state = HostState::PoweringOff;
                let off = self.clusters[cluster]
                    .dpm
                    .as_ref()
                    .map_or(crate::engine::SimDuration::ZERO, |d| d.power_off_time);
                self.queue.schedule_in(off, Event::HostInStandby { host });
            } else {
                self.hosts[host].state = HostState::Maintenance;
                obs.maintenance_entered(now, host, now - since);
            }
            self.host_updated(now, host, obs);
        }
    }

    /// After capacity moved in a cluster: retry the evacuations still under way.
    pub(super) fn retry_evacuations<O: Observer>(
        &mut self,
        now: SimTime,
        cluster: super::ids::ClusterId,
        obs: &mut O,
    ) {
        let c = &self.clusters[cluster];
        let first = c.first_host.0;
        let entering: Vec<HostId> = (first..first + c.host_count)
            .map(HostId)
            .filter(|h| self.hosts[*h].state.draining())
            .collect();
        for host in entering {
            self.evacuate(now, host, obs);
            self.check_maintenance(now, host, obs);
        }
    }
}
