//! The only place that turns a [`Scenario`] into a [`World`].

use super::controllers::ControllerState;
use super::event::Event;
use super::host::{Host, HostState};
use super::ids::{ClusterId, GroupId, HostId, ImageId};
use super::image::ImageCache;
use super::instance::Instances;
use super::kube::KubeNodes;
use super::namespace::Namespace;
use super::pending::PendingQueue;
use super::registry::{Cached, Datastore, ImageStore};
use super::supervisor::Supervisor;
use super::vmotion::MigrationSlots;
use super::workload::Group;
use super::world::{Cluster, World};
use crate::engine::{EventQueue, Id, IdVec, SharedLink, SimDuration, SimTime, StreamFactory};
use crate::policy::kube::BoundPods;
use crate::policy::{HostView, PlacementPolicy};
use crate::scenario::{
    Arrival, ClusterSpec, Controller, CpuAmount, DemandModel, Lifetime, OnNoFit, Rules, Sampled,
    Scenario, SupervisorSpec, VmRule, VmSpec, WorkloadKind, WorkloadSpec,
};

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
            migrations: std::collections::BTreeMap::new(),
            slots: MigrationSlots::for_nics(
                &hosts[first_host as usize..]
                    .iter()
                    .map(|h| h.nic_bytes_per_s)
                    .collect::<Vec<_>>(),
            ),
            supervisor: None,
            kube: None,
            mean_core_mhz: c.mean_core_mhz(),
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
    // Each supervisor cluster's three control-plane VMs are a group of their own.
    let mut workloads = scenario.workloads.clone();
    let mut control_planes = Vec::new();
    for (ci, c) in scenario.clusters.iter().enumerate() {
        if let Some(sup) = &c.supervisor {
            control_planes.push((ci, GroupId::from_index(workloads.len())));
            workloads.push(control_plane_group(ci, c, sup));
        }
    }
    let mut world = World {
        queue: EventQueue::new(),
        end: SimTime::ZERO + scenario.duration,
        sample_every: scenario.sample_every,
        hosts: IdVec::from_vec(hosts),
        clusters: IdVec::from_vec(clusters),
        groups: workloads
            .iter()
            .map(|w| Group::new(w.clone(), &streams))
            .collect(),
        instances: Instances::default(),
        image_sizes: scenario.images.iter().map(|i| i.size).collect(),
        events_processed: 0,
        evacuating: false,
        namespaces: scenario
            .namespaces
            .iter()
            .map(|n| Namespace::new(n.clone()))
            .collect(),
        images: ImageStore::new(
            SharedLink::new(
                scenario.registry.bandwidth,
                scenario.registry.concurrent_pulls as usize,
            ),
            scenario.host_count(),
        ),
        datastore_cluster: Vec::new(),
        volumes: Default::default(),
        volume_waiting: Default::default(),
        controllers: workloads
            .iter()
            .map(|w| ControllerState::for_group(&w.controller))
            .collect(),
        guests: Default::default(),
        explain: false,
        topology: None,
        nsx: super::nsx::Nsx::new(&scenario.network),
        traffic: Default::default(),
    };
    for w in &workloads {
        if let Controller::GuestCluster { guest, nodes, .. } = &w.controller {
            let at = match &w.arrival {
                Arrival::Times(t) => t.first().map(|d| SimTime::ZERO + *d),
                _ => None,
            };
            let e = world.guests.entry(guest.clone()).or_insert((0, 0, at));
            e.0 += nodes;
        }
    }
    for (ci, cp) in control_planes {
        supervise(&mut world, scenario, ci, cp);
    }
    let host_names: Vec<String> = world.hosts.iter().map(|h| h.name.clone()).collect();
    world.topology = super::topology::Topology::from_spec(&scenario.network, &host_names);
    super::traffic::install(&mut world, scenario, &streams);
    for g in world.groups.values_mut() {
        let hosts = world.clusters[ClusterId::from_index(g.spec.cluster)].host_count as usize;
        if g.spec.rules.vms.is_some() {
            g.on_host = vec![0; hosts];
        }
        g.host_masks = g.spec.rules.host_masks(hosts);
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
        if (spec.demand.varies() || spec.memory_demand.varies())
            && SimTime::ZERO + spec.demand_every <= world.end
        {
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

/// The three control-plane VMs of a supervisor cluster: kept on distinct hosts, booting in
/// `control_plane_deploy`, no reservation (an assumption: the appliance's reservations
/// are not published).
fn control_plane_group(ci: usize, c: &ClusterSpec, sup: &SupervisorSpec) -> WorkloadSpec {
    WorkloadSpec {
        name: format!("{}/control-plane", c.name),
        cluster: ci,
        kind: WorkloadKind::Vm(VmSpec {
            vcpus: sup.control_plane.vcpus,
            memory: sup.control_plane.memory,
            reserve_cpu: Sampled::One(CpuAmount::Mhz(0)),
            reserve_memory: Sampled::One(0),
        }),
        arrival: Arrival::AtStart(3),
        lifetime: Lifetime::Forever,
        demand: DemandModel::Constant(0.25),
        memory_demand: DemandModel::Constant(1.0),
        demand_every: SimDuration::from_secs(300),
        on_no_fit: OnNoFit::Wait,
        dirty_rate: 50e6,
        rules: Rules {
            vms: Some(VmRule::Separate),
            hosts: Vec::new(),
        },
        namespace: None,
        controller: Controller::Arrivals,
        volume: None,
        vm_start: sup.control_plane_deploy,
        scheduling: Default::default(),
        trace: None,
    }
}

/// Workload Management on cluster `ci`: its supervisor, the Spherelet installs, and its
/// datastores' image caches.
fn supervise(world: &mut World, scenario: &Scenario, ci: usize, control_plane: GroupId) {
    let spec = &scenario.clusters[ci];
    let sup = spec.supervisor.clone().expect("a supervisor cluster");
    let cluster = ClusterId::from_index(ci);
    let (first, n) = (
        world.clusters[cluster].first_host.index(),
        world.clusters[cluster].host_count as usize,
    );
    let install = SimTime::ZERO + sup.spherelet_install;
    for h in first..first + n {
        if install <= world.end {
            world.queue.schedule_at(
                install,
                Event::SphereletInstalled {
                    host: HostId::from_index(h),
                },
            );
        }
    }
    // Datastores: a shared one is seen by every host of the cluster, a per-host one by
    // its host. A host caches images on the first it sees with image space.
    for d in &spec.datastores {
        let copies: Vec<(String, Option<usize>)> = if d.per_host {
            (first..first + n)
                .map(|h| {
                    (
                        format!("{}-{}", d.name, world.hosts[HostId::from_index(h)].name),
                        Some(h),
                    )
                })
                .collect()
        } else {
            vec![(d.name.clone(), None)]
        };
        for (name, host) in copies {
            let id = world.images.datastores.len() as u32;
            let mut ds = Datastore {
                name,
                capacity: d.capacity,
                policies: d.policies.clone(),
                shared: host.is_none(),
                image_space: d.image_cache,
                image_bytes: 0,
                volume_bytes: 0,
                images: Default::default(),
                fetching: Default::default(),
            };
            if d.image_cache > 0 {
                // Images the scenario says are cached already (a warm start).
                for (i, im) in scenario
                    .images
                    .iter()
                    .enumerate()
                    .filter(|(_, im)| im.cached)
                {
                    ds.image_bytes += im.size;
                    ds.images.insert(
                        ImageId::from_index(i),
                        Cached {
                            bytes: im.size,
                            last_used: SimTime::ZERO,
                            users: 0,
                        },
                    );
                }
            }
            world.images.datastores.push(ds);
            world.datastore_cluster.push(cluster);
            if d.image_cache > 0 {
                for h in host.map_or(first..first + n, |h| h..h + 1) {
                    world.images.host_datastore[h].get_or_insert(id);
                }
            }
        }
    }
    world.clusters[cluster].supervisor = Some(Box::new(Supervisor::new(sup, n, control_plane)));
    // The hosts as Kubernetes nodes, and each pod group's class for affinity and spread.
    let mut kube = KubeNodes {
        names: Vec::with_capacity(n),
        labels: Vec::with_capacity(n),
        taints: Vec::with_capacity(n),
        max_pods: Vec::with_capacity(n),
        bound: BoundPods::new(n),
        class: vec![None; world.groups.len()],
    };
    for g in &spec.host_groups {
        for i in 0..g.count {
            let name = format!("{}-{i}", g.name);
            kube.labels.push(g.node.labels_for(&name));
            kube.taints.push(g.node.taints.clone());
            kube.max_pods.push(g.node.max_pods);
            kube.names.push(name);
        }
    }
    for (gi, g) in world.groups.iter_enumerated() {
        if g.spec.cluster == ci && g.spec.is_pod() {
            let ns = g
                .spec
                .namespace
                .map_or("", |n| world.namespaces[n].spec.name.as_str());
            kube.class[gi.index()] = Some(kube.bound.class(ns, &g.spec.scheduling));
        }
    }
    world.clusters[cluster].kube = Some(kube);
}
