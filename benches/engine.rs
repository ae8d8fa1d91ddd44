//! Benchmarks of the kernel and the model (`cargo bench`).
//!
//! - `event_queue/*`: raw throughput of `engine::EventQueue` with random times: filling
//!   and draining, a steady-state "hold" queue (the shape of a simulation: pop one,
//!   schedule one), and a variant that cancels half of what it schedules;
//! - `placement/*`: one `PlacementPolicy::place` decision on a 1000-host cluster at about
//!   90% reserved CPU, for each policy;
//! - `scenario/*`: the reference workload `scenarios/bench/pod-churn.yaml` shrunk to 100
//!   hosts and 100,000 pods (about 300,000 events), with no observer and with the
//!   metrics `Recorder`;
//! - `scenario_services_*`: one simulated minute of `scenarios/bench/services.yaml`
//!   (service traffic, issue 6), and `lb_pick_close_*`: load-balancing decisions.
//!
//! Every bench keeps criterion's sample count low so that the whole suite runs in a
//! couple of minutes.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pacsim::engine::{EventQueue, RngStream, SimDuration, SimTime, StreamFactory};
use pacsim::metrics::Recorder;
use pacsim::policy::{ClusterView, HostView, PlacementPolicy, Request};
use pacsim::scenario::{CpuAmount, PlacementSpec, PolicyKind, Resource};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn rng(name: &str) -> RngStream {
    StreamFactory::new(2024, 0).stream(name)
}

/// Random times over one simulated hour.
fn random_times(n: usize) -> Vec<SimTime> {
    let mut r = rng("bench/times");
    (0..n)
        .map(|_| SimTime(r.below(3_600_000_000_000)))
        .collect()
}

fn event_queue(c: &mut Criterion) {
    const N: usize = 100_000;
    let times = random_times(N);
    let mut g = c.benchmark_group("event_queue");
    g.sample_size(10).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(N as u64));

    // Schedule N events at random times, then pop them all.
    g.bench_function("schedule_then_pop_100k", |b| {
        b.iter(|| {
            let mut q: EventQueue<u32> = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                q.schedule_at(*t, i as u32);
            }
            let mut sum = 0u64;
            while let Some((_, e)) = q.pop() {
                sum += e as u64;
            }
            black_box(sum)
        })
    });

    // Steady state: a queue of 16,384 pending events (the departures of pod-churn at
    // H = 1000); each step pops the earliest and schedules one at a random delay.
    let delays: Vec<SimDuration> = {
        let mut r = rng("bench/delays");
        (0..N)
            .map(|_| SimDuration::from_secs_f64(r.exponential(600.0)))
            .collect()
    };
    g.bench_function("hold_16k_100k_ops", |b| {
        b.iter_batched(
            || {
                let mut q: EventQueue<u32> = EventQueue::new();
                for (i, d) in delays.iter().take(16_384).enumerate() {
                    q.schedule_in(*d, i as u32);
                }
                q
            },
            |mut q| {
                for (i, d) in delays.iter().enumerate() {
                    let (_, e) = q.pop().expect("never empty");
                    q.schedule_in(*d, e ^ i as u32);
                }
                q
            },
            BatchSize::LargeInput,
        )
    });

    // Schedule N events, cancel every other one (in scheduling order), pop the rest.
    g.bench_function("schedule_cancel_half_then_pop_100k", |b| {
        b.iter(|| {
            let mut q: EventQueue<u32> = EventQueue::new();
            let mut cancelled = 0u32;
            for (i, t) in times.iter().enumerate() {
                let k = q.schedule_at(*t, i as u32);
                if i % 2 == 1 {
                    cancelled += q.cancel(k) as u32;
                }
            }
            let mut sum = 0u64;
            while let Some((_, e)) = q.pop() {
                sum += e as u64;
            }
            black_box((sum, cancelled))
        })
    });
    g.finish();
}

/// 1000 hosts of 64 cores x 2600 MHz and 256 GiB, 80-100% of their CPU reserved (90% on
/// average), memory reserved in proportion, demand equal to the reservation.
fn busy_cluster() -> Vec<HostView> {
    const GIB: u64 = 1 << 30;
    let mut r = rng("bench/hosts");
    (0..1000)
        .map(|_| {
            let cap = 64 * 2600;
            let share = 0.8 + 0.2 * r.uniform();
            let reserved = (cap as f64 * share) as u64;
            let mem = (256 * GIB) as f64 * share * 0.4;
            HostView {
                cores: 64,
                core_mhz: 2600,
                cpu_capacity_mhz: cap,
                mem_capacity: 256 * GIB,
                cpu_reserved_mhz: reserved,
                mem_reserved: mem as u64,
                cpu_demand_mhz: reserved,
                mem_demand: mem as u64,
                accepting: true,
            }
        })
        .collect()
}

fn placement(c: &mut Criterion) {
    const REQUESTS: usize = 1000;
    let hosts = busy_cluster();
    let requests: Vec<Request> = {
        let mut r = rng("bench/requests");
        (0..REQUESTS)
            .map(|_| Request {
                cpu: CpuAmount::Millicores([1000, 2000, 4000, 8000][r.below(4) as usize]),
                memory: [1u64, 2, 4, 8, 16][r.below(5) as usize] << 30,
                vcpus: 0,
            })
            .collect()
    };
    let mut g = c.benchmark_group("placement_1000_hosts");
    g.sample_size(10).measurement_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(REQUESTS as u64));
    for (name, kind) in [
        ("first-fit", PolicyKind::FirstFit),
        ("best-fit", PolicyKind::BestFit),
        ("least-loaded", PolicyKind::LeastLoaded),
    ] {
        let policy = PlacementPolicy::new(PlacementSpec {
            policy: kind,
            by: Resource::Cpu,
        });
        let index = policy.new_index(&hosts);
        let view = ClusterView {
            hosts: &hosts,
            index: &index,
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                for req in &requests {
                    black_box(policy.place(&view, black_box(req)));
                }
            })
        });
    }
    g.finish();
}

fn whole_scenario(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench/pod-churn.yaml");
    let overrides = [
        "clusters[0].hosts[0].count=100".to_string(),
        "workloads[0].arrival.poisson.limit=100000".to_string(),
    ];
    let scenario =
        pacsim::scenario::load_file(&path, &overrides).unwrap_or_else(|e| panic!("{}", e.render()));
    let events = {
        let mut w = pacsim::model::build(&scenario, 0);
        pacsim::model::run(&mut w, &mut (), &mut |_| {});
        w.events_processed
    };
    let mut g = c.benchmark_group("scenario_pod_churn_h100_100k");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(events));
    g.bench_function("no_observer", |b| {
        b.iter_batched(
            || pacsim::model::build(&scenario, 0),
            |mut world| {
                pacsim::model::run(&mut world, &mut (), &mut |_| {});
                world.events_processed
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("recorder", |b| {
        b.iter_batched(
            || pacsim::model::build(&scenario, 0),
            |mut world| {
                let mut rec = Recorder::new(&world);
                pacsim::model::run(&mut world, &mut rec, &mut |_| {});
                (world.events_processed, rec.samples.len())
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// A whole scenario (a file of `scenarios/bench/` with `overrides`) run with the metrics
/// `Recorder`, as criterion bench group `group`; throughput in events when `per_event`.
fn recorder_bench(c: &mut Criterion, group: &str, file: &str, overrides: &[&str], per_event: bool) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/bench")
        .join(file);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let scenario =
        pacsim::scenario::load_file(&path, &overrides).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    if per_event {
        let mut w = pacsim::model::build(&scenario, 0);
        pacsim::model::run(&mut w, &mut (), &mut |_| {});
        g.throughput(Throughput::Elements(w.events_processed));
    }
    g.bench_function("recorder", |b| {
        b.iter_batched(
            || pacsim::model::build(&scenario, 0),
            |mut world| {
                let mut rec = Recorder::new(&world);
                pacsim::model::run(&mut world, &mut rec, &mut |_| {});
                world.events_processed
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// DRS at scale (issue 3): 64 hosts, 4,000 VMs with diurnal demand, a pass every 5 min;
/// one simulated day here (the full `drs-week` scenario is 7 days), with each policy.
fn drs_day(c: &mut Criterion) {
    recorder_bench(
        c,
        "scenario_drs_64h_4000vm_1d",
        "drs-week.yaml",
        &["duration=1d"],
        false,
    );
    recorder_bench(
        c,
        "scenario_drs_score_64h_4000vm_1d",
        "drs-week.yaml",
        &["duration=1d", "clusters[0].drs.policy=drs-score"],
        false,
    );
}

/// A supervisor cluster at the issue-4 target (`scenarios/bench/supervisor-day.yaml`:
/// 64 hosts, about 20,000 pods in a day through deployments, jobs and bare pods).
fn supervisor_day(c: &mut Criterion) {
    recorder_bench(
        c,
        "scenario_supervisor_64h_20000pods_1d",
        "supervisor-day.yaml",
        &[],
        true,
    );
}

/// Service traffic at the issue-6 target's rate (`scenarios/bench/services.yaml`: 10
/// Services x 20 endpoint pods, 5,000 requests/s through NSX load balancers and the
/// distributed load balancer over a leaf-spine): one simulated minute here, 300,000
/// requests (the full target is one hour, 18 million). Throughput is in events.
fn services_minute(c: &mut Criterion) {
    recorder_bench(
        c,
        "scenario_services_10x20_5000rps_1min",
        "services.yaml",
        &["duration=1m"],
        true,
    );
}

/// One load-balancing decision plus its connection's close, per algorithm, on a pool of
/// 20 members: what every request costs the load balancer.
fn lb_decisions(c: &mut Criterion) {
    use pacsim::model::nsx::Pool;
    use pacsim::policy::lb::{Algorithm, MonitorParams};
    let mut g = c.benchmark_group("lb_pick_close_20_members");
    g.sample_size(10).measurement_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(1000));
    for alg in Algorithm::ALL {
        let mut pool = Pool::new(
            "bench".into(),
            alg,
            MonitorParams::default(),
            SimDuration::ZERO,
        );
        let b = pool.add_balancer(SimTime::ZERO);
        for m in 0..20u64 {
            pool.add_member(SimTime::ZERO, 1 + (m % 3) as u32, m);
        }
        let mut r = rng("bench/lb");
        let clients: Vec<u64> = (0..1000).map(|_| r.next_u64()).collect();
        g.bench_function(alg.name(), |bench| {
            bench.iter(|| {
                let mut open = Vec::with_capacity(8);
                for (i, &cl) in clients.iter().enumerate() {
                    let m = pool.pick(SimTime::ZERO, b, cl).expect("members are up");
                    open.push(m);
                    if i % 8 == 7 {
                        for m in open.drain(..) {
                            pool.close(b, m);
                        }
                    }
                }
                for m in open.drain(..) {
                    pool.close(b, m);
                }
            })
        });
    }
    g.finish();
}

/// The PlanetLab consolidation study (issue 8): 800 hosts, 1,052 VMs of 2011-03-03, a
/// consolidation pass every 5 minutes for a day, for three policy pairs; and loading the
/// scenario (validation, reading the 1.4 MB canonical trace).
fn consolidation_day(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/examples/planetlab-consolidation.yaml");
    let mut g = c.benchmark_group("scenario_planetlab_800h_1052vm_1d");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, detector, selection) in [
        ("thr_mmt", "thr", "mmt"),
        ("mad_mc", "mad", "mc"),
        ("lr_mmt", "lr", "mmt"),
    ] {
        let overrides = [
            format!("clusters[0].consolidation.detector={detector}"),
            format!("clusters[0].consolidation.selection={selection}"),
        ];
        let scenario = pacsim::scenario::load_file(&path, &overrides)
            .unwrap_or_else(|e| panic!("{}", e.render()));
        g.bench_function(name, |b| {
            b.iter_batched(
                || pacsim::model::build(&scenario, 0),
                |mut world| {
                    let mut rec = Recorder::new(&world);
                    pacsim::model::run(&mut world, &mut rec, &mut |_| {});
                    rec.migrations_done
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.bench_function("load_scenario_and_trace", |b| {
        b.iter(|| pacsim::scenario::load_file(&path, &[]).map(|s| s.workloads.len()))
    });
    g.finish();
}

criterion_group!(
    benches,
    event_queue,
    placement,
    whole_scenario,
    drs_day,
    supervisor_day,
    services_minute,
    lb_decisions,
    consolidation_day
);
criterion_main!(benches);
