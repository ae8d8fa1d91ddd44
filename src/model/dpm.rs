//! Distributed Power Management: at every DRS pass, keep the powered-on hosts'
//! utilisation within `target ± tolerance` (63 % ± 18 %, Broadcom KB 310527).
//!
//! Utilisation is the larger of CPU demand and memory demand over the capacity of the
//! hosts that are on. DPM wakes a host when the mean over the power-on window (5 min)
//! is above `target + tolerance`, and puts one in standby when the mean over the
//! power-off window (40 min, a full window of history) is below `target − tolerance` —
//! the least-loaded host without native pods (which cannot move), and only if the
//! others would then stay at or below the target. The chosen host is emptied by vMotion
//! as for maintenance, then powers off; a woken host takes work after its boot time.
//! One transition at a time, and a fresh window after each.

use super::event::Event;
use super::host::HostState;
use super::ids::{ClusterId, HostId};
use super::world::{Observer, World};
use crate::engine::{Id, SimTime};

impl World {
    /// DPM's decision at a DRS pass of `cluster`.
    pub(super) fn dpm_evaluate<O: Observer>(
        &mut self,
        now: SimTime,
        cluster: ClusterId,
        obs: &mut O,
    ) {
        let Some(dpm) = self.clusters[cluster].dpm.clone() else {
            return;
        };
        let (mut busy, mut on_count) = (false, 0usize);
        let (mut cap_cpu, mut cap_mem, mut dem_cpu, mut dem_mem) = (0u64, 0u64, 0u64, 0u64);
        for h in self.cluster_hosts(cluster) {
            busy |= matches!(
                h.state,
                HostState::EnteringStandby | HostState::PoweringOff | HostState::PoweringOn
            );
            if h.state == HostState::On {
                on_count += 1;
                cap_cpu += h.view.cpu_capacity_mhz;
                cap_mem += h.view.mem_capacity;
                dem_cpu += h.view.cpu_demand_mhz;
                dem_mem += h.view.mem_demand;
            }
        }
        let util = |cpu_cap: u64, mem_cap: u64| {
            (dem_cpu as f64 / cpu_cap.max(1) as f64).max(dem_mem as f64 / mem_cap.max(1) as f64)
        };
        let u = util(cap_cpu, cap_mem);
        let history = &mut self.clusters[cluster].dpm_history;
        history.push_back((now, u));
        while history
            .front()
            .is_some_and(|(t, _)| now.since(*t) > dpm.power_off_window)
        {
            history.pop_front();
        }
        if busy {
            return;
        }
        let mean_since = |from: SimTime| {
            let xs: Vec<f64> = history
                .iter()
                .filter(|(t, _)| *t >= from)
                .map(|(_, x)| *x)
                .collect();
            xs.iter().sum::<f64>() / xs.len().max(1) as f64
        };
        let on_from = SimTime(now.0.saturating_sub(dpm.power_on_window.0));
        let high = mean_since(on_from) > dpm.target + dpm.tolerance;
        // A full power-off window of history (entries older than it were dropped above).
        let full_window = history
            .front()
            .is_some_and(|(t, _)| now.since(*t) >= dpm.power_off_window);
        let low = full_window && mean_since(SimTime::ZERO) < dpm.target - dpm.tolerance;

        if high {
            let first = self.clusters[cluster].first_host.index();
            if let Some(i) = self
                .cluster_hosts(cluster)
                .iter()
                .position(|h| h.state == HostState::Standby)
            {
                let host = HostId::from_index(first + i);
                self.hosts[host].state = HostState::PoweringOn;
                let boot = dpm.power_on_time;
                self.queue.schedule_in(boot, Event::HostPoweredOn { host });
                self.clusters[cluster].dpm_history.clear();
                obs.dpm(now, host, true);
                self.host_updated(now, host, obs);
            }
        } else if low && on_count > 1 {
            // Hosts with pods cannot be emptied by vMotion.
            let first = self.clusters[cluster].first_host.index();
            let n = self.clusters[cluster].host_count as usize;
            let mut has_pods = vec![false; n];
            for inst in self.instances.iter() {
                let h = inst.host.index();
                if inst.is_pod && inst.host != HostId::NONE && (first..first + n).contains(&h) {
                    has_pods[h - first] = true;
                }
            }
            let candidate = self
                .cluster_hosts(cluster)
                .iter()
                .enumerate()
                .filter(|(i, h)| h.state == HostState::On && !has_pods[*i])
                .min_by_key(|(i, h)| (h.view.cpu_demand_mhz, *i))
                .map(|(i, h)| (i, h.view.cpu_capacity_mhz, h.view.mem_capacity));
            if let Some((i, c_cpu, c_mem)) = candidate {
                // Only if the hosts left would stay within the target.
                if util(cap_cpu - c_cpu, cap_mem - c_mem) <= dpm.target {
                    let host = HostId::from_index(first + i);
                    self.clusters[cluster].dpm_history.clear();
                    obs.dpm(now, host, false);
                    self.start_draining(now, host, HostState::EnteringStandby, obs);
                }
            }
        }
    }

    /// A woken host has booted: it takes work again.
    pub(super) fn on_host_powered_on<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        obs: &mut O,
    ) {
        self.return_to_service(now, host, obs);
    }

    /// An emptied host has reached standby.
    pub(super) fn on_host_in_standby<O: Observer>(
        &mut self,
        now: SimTime,
        host: HostId,
        obs: &mut O,
    ) {
        self.hosts[host].state = HostState::Standby;
        self.host_updated(now, host, obs);
    }
}
