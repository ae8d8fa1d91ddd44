//! Images on a supervisor cluster: the registry (Harbor) they come from, and the image
//! cache on each datastore.
//!
//! A native pod does not pull its image itself. When a pod needs an image its host's
//! datastore does not hold, an *image-fetcher* system pod starts (`fetcher_startup`) and
//! pulls the image from the registry into a disk on that datastore; every later pod on
//! any host that sees the datastore attaches the cached disk instead. Pods that need the
//! image while it is being fetched wait for the same fetch. So an image crosses the
//! network once per datastore, not once per host.
//!
//! The registry serves at most `concurrent_pulls` pulls at once, sharing its bandwidth
//! equally between them ([`SharedLink`]: processor sharing); further pulls wait in FIFO
//! order. A cold-start storm of a new image over many datastores is therefore
//! registry-bound: its last pull ends no earlier than `bytes / bandwidth`.
//!
//! Each datastore keeps images in `image_cache` bytes of space. An image in use by a pod
//! is never evicted; to make room for a new one, unused images go least recently used
//! first. If even that leaves too little room, the new image is kept anyway and the
//! overflow is counted (`image_cache_overflows`): pods must start.

use super::ids::{HostId, ImageId};
use super::instance::InstanceId;
use crate::engine::{EventKey, SharedLink, SimTime};
use std::collections::BTreeMap;

/// One cached image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cached {
    pub bytes: u64,
    pub last_used: SimTime,
    /// Pods using it now.
    pub users: u32,
}

/// A datastore at run time.
#[derive(Clone, Debug)]
pub struct Datastore {
    pub name: String,
    pub capacity: u64,
    pub policies: Vec<String>,
    /// Seen by every host of its cluster (else by one host).
    pub shared: bool,
    /// Space for images, and how much of it is used.
    pub image_space: u64,
    pub image_bytes: u64,
    /// Bytes held by persistent volumes.
    pub volume_bytes: u64,
    pub images: BTreeMap<ImageId, Cached>,
    /// Fetches under way, by image.
    pub fetching: BTreeMap<ImageId, u32>,
}

impl Datastore {
    /// Room for volumes: the capacity less the volumes and the image space.
    pub fn free_for_volumes(&self) -> u64 {
        self.capacity
            .saturating_sub(self.volume_bytes)
            .saturating_sub(self.image_space.max(self.image_bytes))
    }
}

/// A fetch of one image into one datastore.
#[derive(Clone, Debug)]
pub struct Fetch {
    pub datastore: u32,
    pub image: ImageId,
    pub bytes: u64,
    /// Pods waiting for it.
    pub waiters: Vec<InstanceId>,
    pub started: SimTime,
}

/// What a pod finds for its image on its datastore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Cached: attach it.
    Cached,
    /// Being fetched: the pod waits for fetch `0`.
    Waiting(u32),
    /// Not there: a new fetch `0` started; its fetcher pod is starting.
    Started(u32),
}

/// What an image fetch's end did to its datastore's cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    pub evicted: u32,
    pub overflow: bool,
}

/// The registry and every supervisor datastore.
pub struct ImageStore {
    pub datastores: Vec<Datastore>,
    /// The datastore each host caches images on (supervisor hosts only).
    pub host_datastore: Vec<Option<u32>>,
    fetches: Vec<Option<Fetch>>,
    free: Vec<u32>,
    pub registry: SharedLink,
    /// The registry's next completion event.
    pub next_done: Option<EventKey>,
}

impl ImageStore {
    pub fn new(registry: SharedLink, hosts: usize) -> Self {
        ImageStore {
            datastores: Vec::new(),
            host_datastore: vec![None; hosts],
            fetches: Vec::new(),
            free: Vec::new(),
            registry,
            next_done: None,
        }
    }

    /// A pod on `host` needs `image` of `bytes` at `now`.
    pub fn lookup(
        &mut self,
        now: SimTime,
        host: HostId,
        image: ImageId,
        bytes: u64,
        pod: InstanceId,
    ) -> Lookup {
        let d =
            self.host_datastore[host.0 as usize].expect("a supervisor host has an image datastore");
        let ds = &mut self.datastores[d as usize];
        if let Some(c) = ds.images.get_mut(&image) {
            c.users += 1;
            c.last_used = now;
            return Lookup::Cached;
        }
        if let Some(&f) = ds.fetching.get(&image) {
            self.fetches[f as usize]
                .as_mut()
                .expect("a fetch under way")
                .waiters
                .push(pod);
            return Lookup::Waiting(f);
        }
        let fetch = Fetch {
            datastore: d,
            image,
            bytes,
            waiters: vec![pod],
            started: now,
        };
        let id = match self.free.pop() {
            Some(i) => {
                self.fetches[i as usize] = Some(fetch);
                i
            }
            None => {
                self.fetches.push(Some(fetch));
                (self.fetches.len() - 1) as u32
            }
        };
        ds.fetching.insert(image, id);
        Lookup::Started(id)
    }

    pub fn fetch(&self, id: u32) -> &Fetch {
        self.fetches[id as usize].as_ref().expect("a live fetch")
    }

    /// The fetch is done: the image goes into its datastore's cache (evicting unused
    /// images, least recently used first, to make room) with its waiters as users.
    /// Returns the fetch and what storing did.
    pub fn finish(&mut self, now: SimTime, id: u32) -> (Fetch, Stored) {
        let f = self.fetches[id as usize].take().expect("a live fetch");
        self.free.push(id);
        let ds = &mut self.datastores[f.datastore as usize];
        ds.fetching.remove(&f.image);
        let mut stored = Stored::default();
        while ds.image_bytes + f.bytes > ds.image_space {
            let victim = ds
                .images
                .iter()
                .filter(|(_, c)| c.users == 0)
                .min_by_key(|(i, c)| (c.last_used, **i))
                .map(|(i, _)| *i);
            match victim {
                Some(i) => {
                    let c = ds.images.remove(&i).expect("listed");
                    ds.image_bytes -= c.bytes;
                    stored.evicted += 1;
                }
                None => {
                    stored.overflow = true;
                    break;
                }
            }
        }
        ds.image_bytes += f.bytes;
        ds.images.insert(
            f.image,
            Cached {
                bytes: f.bytes,
                last_used: now,
                users: f.waiters.len() as u32,
            },
        );
        (f, stored)
    }

    /// Whether `image` is being fetched into `host`'s datastore.
    pub fn is_fetching(&self, host: HostId, image: ImageId) -> bool {
        self.host_datastore[host.0 as usize]
            .is_some_and(|d| self.datastores[d as usize].fetching.contains_key(&image))
    }

    /// A pod on `host` that used `image` is gone.
    pub fn release(&mut self, host: HostId, image: ImageId) {
        if let Some(d) = self.host_datastore[host.0 as usize] {
            if let Some(c) = self.datastores[d as usize].images.get_mut(&image) {
                c.users = c.users.saturating_sub(1);
            }
        }
    }

    /// A waiter of a fetch that will not use the image (it was deleted meanwhile).
    pub fn drop_user(&mut self, datastore: u32, image: ImageId) {
        if let Some(c) = self.datastores[datastore as usize].images.get_mut(&image) {
            c.users = c.users.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn store(image_space: u64) -> ImageStore {
        let mut s = ImageStore::new(SharedLink::new(1e9, 4), 2);
        s.datastores.push(Datastore {
            name: "vsan".into(),
            capacity: 1 << 40,
            policies: vec!["vsan".into()],
            shared: true,
            image_space,
            image_bytes: 0,
            volume_bytes: 0,
            images: BTreeMap::new(),
            fetching: BTreeMap::new(),
        });
        s.host_datastore = vec![Some(0), Some(0)];
        s
    }

    fn pod(slot: u32) -> InstanceId {
        InstanceId { slot, gen: 1 }
    }

    #[test]
    fn an_image_is_fetched_once_per_datastore_and_later_pods_attach_it() {
        let mut s = store(10_000);
        let t0 = SimTime::ZERO;
        let Lookup::Started(f) = s.lookup(t0, HostId(0), ImageId(1), 100, pod(0)) else {
            panic!("a first fetch")
        };
        // The other host sees the same datastore: it waits for the same fetch.
        assert_eq!(
            s.lookup(t0, HostId(1), ImageId(1), 100, pod(1)),
            Lookup::Waiting(f)
        );
        let (fetch, stored) = s.finish(t0 + SimDuration::from_secs(1), f);
        assert_eq!(fetch.waiters, vec![pod(0), pod(1)]);
        assert_eq!(stored, Stored::default());
        assert_eq!(
            s.lookup(t0, HostId(1), ImageId(1), 100, pod(2)),
            Lookup::Cached
        );
        assert_eq!(s.datastores[0].images[&ImageId(1)].users, 3);
    }

    #[test]
    fn unused_images_are_evicted_least_recently_used_first_and_used_ones_never() {
        let mut s = store(250);
        let at = |n: u64| SimTime::ZERO + SimDuration::from_secs(n);
        for (i, image) in [1u32, 2].iter().enumerate() {
            let Lookup::Started(f) =
                s.lookup(at(i as u64), HostId(0), ImageId(*image), 100, pod(i as u32))
            else {
                panic!()
            };
            s.finish(at(i as u64), f);
        }
        // Image 1 (older) is released, image 2 still in use: a third image evicts 1.
        s.release(HostId(0), ImageId(1));
        let Lookup::Started(f) = s.lookup(at(5), HostId(0), ImageId(3), 100, pod(9)) else {
            panic!()
        };
        let (_, stored) = s.finish(at(6), f);
        assert_eq!(stored.evicted, 1);
        assert!(!stored.overflow);
        let ds = &s.datastores[0];
        assert!(!ds.images.contains_key(&ImageId(1)));
        assert!(ds.images.contains_key(&ImageId(2)));
        // Nothing left to evict: a fourth image overflows the space rather than wait.
        let Lookup::Started(f) = s.lookup(at(7), HostId(0), ImageId(4), 100, pod(10)) else {
            panic!()
        };
        let (_, stored) = s.finish(at(8), f);
        assert!(stored.overflow);
        assert_eq!(s.datastores[0].image_bytes, 300);
    }
}
