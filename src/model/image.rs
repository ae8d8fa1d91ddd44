//! The images a host holds. A host that lacks an image pulls it once at the cluster's
//! pull bandwidth; pods that arrive during the pull wait for the same pull to finish.
//! Pulls do not share bandwidth with each other yet (the supervisor issue adds the
//! registry and per-datastore caches), and nothing is evicted.

use crate::engine::SimTime;

/// Per-host map image -> time it is (or will be) present. Sorted by image index; a host
/// holds few images, so a vector beats a tree.
#[derive(Clone, Debug, Default)]
pub struct ImageCache {
    entries: Vec<(u32, SimTime)>,
}

impl ImageCache {
    /// When the image is present, or `None` if the host never pulled it.
    pub fn ready_at(&self, image: u32) -> Option<SimTime> {
        self.entries
            .binary_search_by_key(&image, |e| e.0)
            .ok()
            .map(|i| self.entries[i].1)
    }

    /// Records a pull that completes at `ready`.
    pub fn insert(&mut self, image: u32, ready: SimTime) {
        match self.entries.binary_search_by_key(&image, |e| e.0) {
            Ok(i) => self.entries[i].1 = ready,
            Err(i) => self.entries.insert(i, (image, ready)),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
