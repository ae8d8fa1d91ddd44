//! The simulated world: hosts, clusters, workloads and their instances, and the event
//! handlers that change them. No file, terminal or clock access here.

pub mod build;
pub mod consolidation;
pub mod controllers;
pub mod crx;
pub mod dpm;
pub mod drs;
pub mod event;
pub mod host;
pub mod ids;
pub mod image;
pub mod instance;
pub mod kube;
pub mod maintenance;
pub mod migration;
pub mod namespace;
pub mod nsx;
pub mod pending;
pub mod registry;
pub mod spherelet;
pub mod storage;
pub mod supervisor;
pub mod topology;
pub mod traffic;
pub mod vmotion;
pub mod workload;
pub mod world;

pub use build::build;
pub use event::Event;
pub use ids::{ClusterId, GroupId, HostId, ImageId};
pub use world::{Cluster, Observer, World};

use crate::engine::SimTime;

/// Runs `world` until its end time, telling `observer` what happens and calling
/// `sample` at every sampling instant (after all events at that instant).
/// `progress` is called every few thousand events with the current time.
pub fn run<O: Observer>(world: &mut World, observer: &mut O, progress: &mut dyn FnMut(SimTime)) {
    let end = world.end;
    let step = world.sample_every;
    let mut next_sample = SimTime::ZERO;
    let mut since_progress = 0u32;
    while let Some(t) = world.queue.peek_time() {
        if t > end {
            break;
        }
        while next_sample < t {
            observer.sample(next_sample, world);
            next_sample += step;
        }
        let (now, event) = world.queue.pop().expect("peeked");
        // Start loading the next event's instance now: it is usually not in the cache
        // (a departure comes minutes after its pod was last touched), and the load then
        // overlaps the handling of this event instead of stalling the next one.
        if let Some((_, Event::Departure { instance } | Event::PodRunning { pod: instance })) =
            world.queue.peek()
        {
            let instance = *instance;
            std::hint::black_box(world.instances.get(instance).map(|i| i.host));
        }
        world.handle(now, event, observer);
        since_progress += 1;
        if since_progress == 8192 {
            since_progress = 0;
            progress(now);
        }
    }
    while next_sample <= end {
        observer.sample(next_sample, world);
        if next_sample == end {
            break;
        }
        next_sample = (next_sample + step).min(end);
    }
    world.queue.advance_to(end);
    observer.finish(end, world);
}
