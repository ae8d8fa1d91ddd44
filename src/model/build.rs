//! The only place that turns a [`Scenario`] into a [`World`].

use super::event::Event;
use super::host::{Host, HostState};
use super::ids::{ClusterId, GroupId, HostId};
use super::image::ImageCache;
use super::instance::Instances;
use super::pending::PendingQueue;
use super::vmotion::MigrationSlots;
use super::workload::Group;
use super::world::{Cluster, World};
use crate::engine::{EventQueue, Id, IdVec, SimTime, StreamFactory};
use crate::policy::{HostView, PlacementPolicy};
use crate::scenario::Scenario;

/// Builds the world of `scenario` for sweep point `point` (0 for a single run).
pub fn build(scenario: &Scenario, point: u64) -> World {
    let streams = StreamFactory::new(scenario.seed, point);
    let mut hosts = Vec::with_capacity(scenario.host_count());
    let mut clusters = Vec::with_capacity(scenario.clusters.len());
    for (ci, c) in scenario.clusters.iter().enumerate() {
        let first_host = hosts.len() as u32;
        let mut local = 0u32;
        for g in &c.host_groups {
            for n in 0..g.count {
                let view = HostView {
                    cores: g.cores,
                    core_mhz: g.mhz_per_core,
                    cpu_capacity_mhz: g.cpu_mhz(),
                    mem_capacity: g.memory,
                    accepting: true,
                    ..HostView::default()
                };
                hosts.push(Host {
                    name: format!("{}-{n}", g.name),
                    cluster: ClusterId::from_index(ci),
                    local,
                    view,
                    power: g.power.clone(),
                    images: ImageCache::default(),
                    instances: 0,
                    nic_bytes_per_s: g.nic_bytes_per_s,
                    state: HostState::On,
                    standby_w: g.standby_w,
                    off_w: g.off_w,
                    transitions: g.transitions,
                    maintenance_since: SimTime::ZERO,
                });
                local += 1;
            }
        }
        let policy = PlacementPolicy::new(c.placement);
        let views: Vec<HostView> = hosts[first_host as usize..]
            .iter()
            .map(|h| h.view)
            .collect();
        clusters.push(Cluster {
            name: c.name.clone(),
            first_host: HostId(first_host),
            host_count: local,
            index: policy.new_index(&views),
            policy,
            views,
            pending: PendingQueue::default(),
            retry_scheduled: false,
            pods: c.pods.clone(),
            drs: c.drs.clone(),
            entering_maintenance: 0,
            dpm: c.dpm.clone(),
            dpm_history: std::collections::VecDeque::new(),
            slots: MigrationSlots::for_nics(
                &hosts[first_host as usize..]
                    .iter()
                    .map(|h| h.nic_bytes_per_s)
                    .collect::<Vec<_>>(),
            ),
            consolidation: c.consolidation.clone().map(|spec| {
                Box::new(super::consolidation::ConsolidationState::new(
                    spec,
                    local as usize,
                    streams.stream(&format!("consolidation/{}", c.name)),
                ))
            }),
            vms_running: 0,
            pods_starting: 0,
            pods_running: 0,
        });
    }
    let mut world = World {
        queue: EventQueue::new(),
        end: SimTime::ZERO + scenario.duration,
        sample_every: scenario.sample_every,
        hosts: IdVec::from_vec(hosts),
        clusters: IdVec::from_vec(clusters),
        groups: scenario
            .workloads
            .iter()
            .map(|w| Group::new(w.clone(), &streams))
            .collect(),
        instances: Instances::default(),
        image_sizes: scenario.images.iter().map(|i| i.size).collect(),
        events_processed: 0,
        evacuating: false,
    };
    for g in world.groups.values_mut() {
        let hosts = world.clusters[ClusterId::from_index(g.spec.cluster)].host_count as usize;
        if g.spec.rules.vms.is_some() {
            g.on_host = vec![0; hosts];
        }
        if let Some((list, must)) = &g.spec.rules.hosts {
            let mut mask = vec![false; hosts];
            list.iter().for_each(|&h| mask[h] = true);
            g.host_mask = Some((mask, *must));
        }
    }
    for m in &scenario.maintenance {
        let host = HostId::from_index(m.host);
        let at = SimTime::ZERO + m.at;
        if at <= world.end {
            world
                .queue
                .schedule_at(at, Event::EnterMaintenance { host });
        }
        if let Some(until) = m
            .until
            .map(|u| SimTime::ZERO + u)
            .filter(|t| *t <= world.end)
        {
            world
                .queue
                .schedule_at(until, Event::ExitMaintenance { host });
        }
    }
    for (ci, c) in scenario.clusters.iter().enumerate() {
        if let Some(drs) = &c.drs {
            let first = SimTime::ZERO + drs.interval;
            if first <= world.end {
                let cluster = ClusterId::from_index(ci);
                world.queue.schedule_at(first, Event::DrsPass { cluster });
            }
        }
    }
    for gi in 0..world.groups.len() {
        let spec = &world.groups[GroupId::from_index(gi)].spec;
        if spec.demand.varies() && SimTime::ZERO + spec.demand_every <= world.end {
            let first = SimTime::ZERO + spec.demand_every;
            let group = GroupId::from_index(gi);
            world.queue.schedule_at(first, Event::DemandTick { group });
        }
        if let Some(t) = world.groups[GroupId::from_index(gi)].first_arrival() {
            if t <= world.end {
                world.queue.schedule_at(
                    t,
                    Event::Arrival {
                        group: GroupId::from_index(gi),
                    },
                );
            }
        }
    }
    // A consolidation cluster starts with its hosts asleep; they wake as work arrives.
    // Its passes are scheduled after the demand updates, so that at any instant a pass
    // sees the demand of that instant.
    for (ci, c) in scenario.clusters.iter().enumerate() {
        let Some(cons) = &c.consolidation else {
            continue;
        };
        let cluster = ClusterId::from_index(ci);
        let asleep = match cons.sleep {
            crate::scenario::SleepState::Standby => HostState::Standby,
            crate::scenario::SleepState::Off => HostState::Off,
        };
        let first = world.clusters[cluster].first_host.index();
        for h in first..first + world.clusters[cluster].host_count as usize {
            let host = HostId::from_index(h);
            world.hosts[host].state = asleep;
            world.hosts[host].view.accepting = false;
            let view = world.hosts[host].view;
            let c = &mut world.clusters[cluster];
            c.views[h - first] = view;
            c.index.update(h - first, &view);
        }
        let t = SimTime::ZERO + cons.interval;
        if t <= world.end {
            world
                .queue
                .schedule_at(t, Event::ConsolidationPass { cluster });
        }
    }
    world
}
