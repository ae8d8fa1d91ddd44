//! Invariants over random inputs.
//!
//! - The indexed placement of every policy picks exactly the host that the literal
//!   filter-then-score definition picks.
//! - No host is ever over its hard capacity (reservations within CPU and memory), in any
//!   random cluster and workload mix.
//!   DRS migrations and maintenance windows included (a migrating VM holds its reservation
//!   on both hosts; a host is in maintenance only when empty).
//! - A host in maintenance or standby holds nothing.
//! - Rules hold: anti-affinity VMs never share a host, `must` VMs never leave their hosts.
//! - Nothing is lost: every instance that arrived was placed, rejected or is still
//!   waiting; every placed one departed or is still there.

use pacsim::engine::Id;
use pacsim::engine::SimTime;
use pacsim::metrics::Recorder;
use pacsim::model::instance::InstanceId;
use pacsim::model::vmotion::PrecopyPlan;
use pacsim::model::{ClusterId, GroupId, HostId, Observer, World};
use pacsim::policy::balance::BalancePass;
use pacsim::policy::{ClusterView, HostView, PlacementPolicy, RejectReason, Request};
use pacsim::scenario::{load_str, CpuAmount, PolicyKind, Resource};
use proptest::prelude::*;

fn host_view() -> impl Strategy<Value = HostView> {
    (
        1u32..8,
        prop::sample::select(vec![1000u32, 2000, 2600, 3000]),
        1u64..64,
        any::<bool>(),
        0u64..=100,
        0u64..=100,
        0u64..=120,
    )
        .prop_map(
            |(cores, core_mhz, mem, accepting, cpu_pct, mem_pct, demand_pct)| {
                let cap = cores as u64 * core_mhz as u64;
                HostView {
                    cores,
                    core_mhz,
                    cpu_capacity_mhz: cap,
                    mem_capacity: mem,
                    cpu_reserved_mhz: cap * cpu_pct / 100,
                    mem_reserved: mem * mem_pct / 100,
                    cpu_demand_mhz: cap * demand_pct / 100,
                    mem_demand: mem * mem_pct / 100,
                    accepting: accepting || cpu_pct % 3 != 0,
                }
            },
        )
}

fn request() -> impl Strategy<Value = Request> {
    (
        prop_oneof![
            (0u64..6000).prop_map(CpuAmount::Millicores),
            (0u64..12_000).prop_map(CpuAmount::Mhz)
        ],
        0u64..40,
        0u32..6,
    )
        .prop_map(|(cpu, memory, vcpus)| Request { cpu, memory, vcpus })
}

fn policy() -> impl Strategy<Value = PlacementPolicy> {
    (
        prop::sample::select(vec![
            PolicyKind::FirstFit,
            PolicyKind::BestFit,
            PolicyKind::LeastLoaded,
        ]),
        prop::sample::select(vec![Resource::Cpu, Resource::Memory]),
    )
        .prop_map(|(kind, by)| PlacementPolicy { kind, by })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn indexed_placement_equals_the_scan_definition(
        hosts in prop::collection::vec(host_view(), 1..40),
        updates in prop::collection::vec((0usize..40, host_view()), 0..10),
        req in request(),
        policy in policy(),
        filter in any::<bool>(),
        mask in prop::collection::vec(any::<bool>(), 1..40),
    ) {
        // Build the index from an older state, then update it, as the model does.
        let mut hosts = hosts;
        let mut index = policy.new_index(&hosts);
        for (i, h) in updates {
            let i = i % hosts.len();
            hosts[i] = h;
            index.update(i, &hosts[i]);
        }
        // Rules filter hosts out: half the time, a random set of hosts is forbidden.
        let allowed = |h: usize| !filter || mask[h % mask.len()];
        let got = policy.place_where(&ClusterView { hosts: &hosts, index: &index }, &req, &allowed);
        let want = policy.place_by_scan_where(&hosts, &req, &allowed);
        match (got, want) {
            (pacsim::policy::Placement::Host(a), Some(b)) => prop_assert_eq!(a, b),
            (pacsim::policy::Placement::NoFit(_), None) => {}
            (g, w) => prop_assert!(false, "index chose {:?}, scan chose {:?}", g, w),
        }
    }
}

/// Forwards to a Recorder and checks capacity after every host change.
struct Checked {
    rec: Recorder,
    violations: Vec<String>,
}

impl Checked {
    fn check_rules(&mut self, now: SimTime, w: &World) {
        // Rules: `vms` (separate) never share a host, counting where they migrate to;
        // `pinned` (must) only ever run or land on big-0 or small-0.
        let mut seen = std::collections::BTreeMap::new();
        for inst in w.instances.iter() {
            if inst.host == HostId::NONE {
                continue;
            }
            let name = &w.groups[inst.group].spec.name;
            let places = [inst.host, inst.migrating_to];
            for h in places.into_iter().filter(|h| *h != HostId::NONE) {
                if name == "vms" {
                    let n = seen.entry(h).or_insert(0);
                    *n += 1;
                    if *n > 1 {
                        self.violations
                            .push(format!("{now}: two `separate` VMs on {}", w.hosts[h].name));
                    }
                }
                if name == "pinned" && !["big-0", "small-0"].contains(&w.hosts[h].name.as_str()) {
                    self.violations
                        .push(format!("{now}: a `must` VM on {}", w.hosts[h].name));
                }
                if name == "avoid" && w.hosts[h].name.starts_with("small") {
                    self.violations
                        .push(format!("{now}: a `must_not` VM on {}", w.hosts[h].name));
                }
            }
        }
    }
}

impl Observer for Checked {
    fn arrived(&mut self, now: SimTime, w: &World, g: GroupId) {
        self.rec.arrived(now, w, g)
    }
    fn placed(&mut self, now: SimTime, w: &World, g: GroupId, h: HostId) {
        self.rec.placed(now, w, g, h)
    }
    fn rejected(&mut self, now: SimTime, w: &World, g: GroupId, why: RejectReason) {
        self.rec.rejected(now, w, g, why)
    }
    fn pending(&mut self, now: SimTime, w: &World, g: GroupId, why: RejectReason) {
        self.rec.pending(now, w, g, why)
    }
    fn image_pull(&mut self, now: SimTime, h: HostId, b: u64) {
        self.rec.image_pull(now, h, b)
    }
    fn pod_running(&mut self, now: SimTime, g: GroupId, d: pacsim::engine::SimDuration) {
        self.rec.pod_running(now, g, d)
    }
    fn departed(&mut self, now: SimTime, w: &World, g: GroupId) {
        self.rec.departed(now, w, g)
    }
    fn host_changed(&mut self, now: SimTime, w: &World, host: HostId) {
        let v = &w.hosts[host].view;
        let h = &w.hosts[host];
        if h.state == pacsim::model::host::HostState::Maintenance
            && (h.instances > 0 || v.cpu_reserved_mhz > 0 || v.mem_reserved > 0)
        {
            self.violations.push(format!(
                "{}: host {} in maintenance but not empty",
                now, h.name
            ));
        }
        if v.cpu_reserved_mhz > v.cpu_capacity_mhz || v.mem_reserved > v.mem_capacity {
            self.violations.push(format!(
                "{}: host {} over capacity: {:?}",
                now, w.hosts[host].name, v
            ));
        }
        self.check_rules(now, w);
        self.rec.host_changed(now, w, host)
    }
    fn sample(&mut self, now: SimTime, w: &World) {
        self.check_rules(now, w);
        self.rec.sample(now, w)
    }
    fn dpm(&mut self, now: SimTime, h: HostId, on: bool) {
        self.rec.dpm(now, h, on)
    }
    fn rule_broken(&mut self, now: SimTime, g: GroupId) {
        self.rec.rule_broken(now, g)
    }
    fn drs_pass(
        &mut self,
        now: SimTime,
        w: &World,
        c: ClusterId,
        pass: &BalancePass,
        vms: &[InstanceId],
    ) {
        self.rec.drs_pass(now, w, c, pass, vms)
    }
    fn evacuation(&mut self, now: SimTime, w: &World, h: HostId, moves: &[(InstanceId, HostId)]) {
        self.rec.evacuation(now, w, h, moves)
    }
    fn migration_started(&mut self, now: SimTime, plan: &PrecopyPlan) {
        self.rec.migration_started(now, plan)
    }
    fn migration_done(&mut self, now: SimTime, outcome: &PrecopyPlan) {
        self.rec.migration_done(now, outcome)
    }
    fn migration_aborted(&mut self, now: SimTime) {
        self.rec.migration_aborted(now)
    }
    fn evicted(&mut self, now: SimTime, g: GroupId) {
        self.rec.evicted(now, g)
    }
    fn maintenance_entered(&mut self, now: SimTime, h: HostId, took: pacsim::engine::SimDuration) {
        self.rec.maintenance_entered(now, h, took)
    }
    fn finish(&mut self, end: SimTime, w: &World) {
        self.rec.finish(end, w)
    }
}

#[allow(clippy::too_many_arguments)]
fn scenario_yaml(
    hosts: u32,
    cores: u32,
    mem_gib: u32,
    policy: &str,
    pod_rate: u32,
    pod_cpu: &[u32],
    pod_wait: bool,
    vm_rate: u32,
    vm_vcpus: u32,
    vm_res_mhz: u32,
    drs_level: u32,
    vm_batch: u32,
    maintenance_at_min: u32,
    score: bool,
    seed: u64,
) -> String {
    let cpu_choices: Vec<String> = pod_cpu.iter().map(|c| format!("{c}00m")).collect();
    format!(
        r#"
name: prop
seed: {seed}
duration: 6h
metrics: {{ sample_every: 30m }}
clusters:
  - name: c
    hosts:
      - {{ name: big, count: {hosts}, cores: {cores}, mhz: 2000, memory: {mem_gib}GiB }}
      - {{ name: small, count: 2, cores: 2, mhz: 3000, memory: 8GiB }}
    placement: {{ policy: {policy} }}
    {drs}
images: [ {{ name: a, size: 100MB }}, {{ name: b, size: 1GB }} ]
workloads:
  - kind: pod-group
    name: pods
    image: {{ choice: [a, b] }}
    arrival: {{ poisson: {{ rate: {pod_rate}/h }} }}
    lifetime: {{ exponential: {{ mean: 40m }} }}
    requests: {{ cpu: {{ choice: [{cpus}] }}, memory: {{ choice: [512MiB, 2GiB, 6GiB] }} }}
    on_no_fit: {on_no_fit}
  - kind: vm-group
    name: vms
    arrival: {{ poisson: {{ rate: {vm_rate}/h }} }}
    lifetime: {{ uniform: {{ min: 10m, max: 3h }} }}
    size: {{ vcpus: {vm_vcpus}, memory: 4GiB, reservation: {{ cpu: {vm_res_mhz}MHz, memory: 2GiB }} }}
    demand: {{ random_walk: {{ start: 0.5, step: 0.2, min: 0.0, max: 1.0 }}, every: 10m }}
    memory_demand: {{ random_walk: {{ start: 0.6, step: 0.2, min: 0.2, max: 1.0 }} }}
    rules: {{ vms: separate }}
  - kind: vm-group
    name: avoid
    arrival: {{ poisson: {{ rate: 3/h }} }}
    lifetime: {{ exponential: {{ mean: 1h }} }}
    size: {{ vcpus: 1, memory: 2GiB, reservation: {{ memory: 1GiB }} }}
    rules: {{ host_rules: [ {{ hosts: [small], rule: must_not }}, {{ hosts: [big-0], rule: should_not }} ] }}
  - kind: vm-group
    name: pinned
    arrival: {{ poisson: {{ rate: 4/h }} }}
    lifetime: {{ exponential: {{ mean: 1h }} }}
    size: {{ vcpus: 1, memory: 2GiB, reservation: {{ memory: 1GiB }} }}
    rules: {{ hosts: [big-0, small-0], host_rule: must }}
  - kind: vm-group
    name: batch
    arrival: {{ at_start: {vm_batch} }}
    lifetime: {{ exponential: {{ mean: 90m }} }}
    size: {{ vcpus: 2, memory: 16GiB, reservation: {{ memory: 4GiB }} }}
    demand: {{ bursts: {{ base: 0.2, peak: 1.0, on: 20m, off: 20m }}, every: 10m }}
    dirty_rate: 400MB/s
{maintenance}"#,
        maintenance = if maintenance_at_min == 0 {
            String::new()
        } else {
            format!("maintenance:\n  - {{ host: big-0, at: {maintenance_at_min}m, until: {}m }}\n  - {{ host: small-1, at: {maintenance_at_min}m }}\n", maintenance_at_min + 90)
        },
        drs = if drs_level == 0 {
            String::new()
        } else {
            // DPM with it on odd levels, with a short window so that it acts in 6 hours.
            let dpm = if drs_level % 2 == 1 {
                "\n    dpm: { power_off_window: 20m, power_on_time: 2m }"
            } else {
                ""
            };
            let policy = if score { "drs-score" } else { "imbalance" };
            format!("drs: {{ policy: {policy}, interval: 10m, threshold: {drs_level} }}{dpm}")
        },
        cpus = cpu_choices.join(", "),
        on_no_fit = if pod_wait { "wait" } else { "reject" },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_host_goes_over_capacity_and_nothing_is_lost(
        hosts in 1u32..12,
        cores in 4u32..32,
        mem_gib in 8u32..128,
        policy in prop::sample::select(vec!["first-fit", "best-fit", "least-loaded"]),
        pod_rate in 1u32..400,
        pod_cpu in prop::collection::vec(1u32..40, 1..4),
        pod_wait in any::<bool>(),
        vm_rate in 0u32..40,
        vm_vcpus in 1u32..3,
        vm_res_mhz in 0u32..4000,
        drs_level in 0u32..6,
        vm_batch in 1u32..40,
        maintenance_at_min in 0u32..300,
        score in any::<bool>(),
        seed in 0u64..1000,
    ) {
        // drs_level 0: no DRS; 1..=5: DRS at that migration threshold.
        let yaml = scenario_yaml(hosts, cores, mem_gib, policy, pod_rate, &pod_cpu, pod_wait, vm_rate.max(1), vm_vcpus, vm_res_mhz, drs_level, vm_batch, maintenance_at_min, score, seed);
        let scenario = load_str("prop.yaml", &yaml, &[]).map_err(|e| TestCaseError::fail(e.render()))?;
        let mut world = pacsim::model::build(&scenario, 0);
        let mut obs = Checked { rec: Recorder::new(&world), violations: Vec::new() };
        pacsim::model::run(&mut world, &mut obs, &mut |_| {});
        prop_assert!(obs.violations.is_empty(), "{:?}", &obs.violations[..obs.violations.len().min(3)]);
        prop_assert_eq!(obs.rec.rule_must_broken, 0);

        // Reservations on each host are exactly the sum over its instances.
        let mut cpu = vec![0u64; world.hosts.len()];
        let mut mem = vec![0u64; world.hosts.len()];
        let mut left = [[0u64; 2]; 2]; // [kind][waiting, placed]
        for inst in world.instances.iter() {
            let placed = inst.state != pacsim::model::instance::InstanceState::Pending;
            left[inst.is_pod as usize][placed as usize] += 1;
            if placed {
                cpu[inst.host.index()] += inst.cpu_reserved_mhz;
                mem[inst.host.index()] += inst.mem_reserved;
            }
            // A VM being migrated also holds its reservation on its destination.
            if inst.migrating_to != HostId::NONE {
                let dst = &world.hosts[inst.migrating_to];
                cpu[inst.migrating_to.index()] += inst.request.cpu_mhz_on(&dst.view);
                mem[inst.migrating_to.index()] += inst.mem_reserved;
            }
        }
        for (i, h) in world.hosts.iter().enumerate() {
            prop_assert_eq!(h.view.cpu_reserved_mhz, cpu[i]);
            prop_assert_eq!(h.view.mem_reserved, mem[i]);
        }
        for kind in 0..2 {
            let c = &obs.rec.kinds[kind];
            let rejected: u64 = c.rejected.iter().sum();
            prop_assert_eq!(c.arrived, c.placed + rejected + left[kind][0], "arrived = placed + rejected + waiting");
            prop_assert_eq!(c.placed, c.departed + left[kind][1], "placed = departed + still placed");
            if kind == 1 && pod_wait {
                prop_assert_eq!(rejected, 0, "waiting pods are never rejected");
            }
        }
    }
}
