//! The images a host holds. A host that lacks an image pulls it once at the cluster's
//! pull bandwidth; pods that arrive during the pull wait for the same pull to finish.
//! Pulls do not share bandwidth with each other yet (the supervisor issue adds the
//! registry and per-datastore caches), and nothing is evicted.

use super::ids::ImageId;
use crate::engine::SimTime;

/// Per-host map image -> time it is (or will be) present. Sorted by image index; a host
/// holds few images, so a vector beats a tree. Keys and times are kept apart so that the
/// search reads only the 4-byte keys (a 50-image cache's keys span 4 cache lines, not
/// 13).
#[derive(Clone, Debug, Default)]
pub struct ImageCache {
    images: Vec<ImageId>,
    ready: Vec<SimTime>,
    /// Bit `i` set: image `i` (< 128) was found already pulled by an earlier
    /// [`ImageCache::ready_by`]. Answers the common case from the host record itself,
    /// without reading the vectors.
    pulled: u128,
}

impl ImageCache {
    /// When the image is present, or `None` if the host never pulled it.
    #[inline]
    pub fn ready_at(&self, image: ImageId) -> Option<SimTime> {
        self.images
            .binary_search(&image)
            .ok()
            .map(|i| self.ready[i])
    }

    /// When a pod placed at `now` finds `image` on the host: `now` if it is there, the end
    /// of the pull under way, or `None` if the host never pulled it. Successive calls
    /// must not go back in time.
    #[inline]
    pub fn ready_by(&mut self, image: ImageId, now: SimTime) -> Option<SimTime> {
        let bit = 1u128.checked_shl(image.0).unwrap_or(0);
        if self.pulled & bit != 0 {
            return Some(now);
        }
        let t = self.ready_at(image)?;
        if t <= now {
            self.pulled |= bit;
        }
        Some(t.max(now))
    }

    /// Records a pull that completes at `ready`.
    pub fn insert(&mut self, image: ImageId, ready: SimTime) {
        self.pulled &= !1u128.checked_shl(image.0).unwrap_or(0);
        match self.images.binary_search(&image) {
            Ok(i) => self.ready[i] = ready,
            Err(i) => {
                self.images.insert(i, image);
                self.ready.insert(i, ready);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.images.len()
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_by_waits_for_a_pull_under_way_and_then_answers_now() {
        let mut c = ImageCache::default();
        assert_eq!(c.ready_by(ImageId(3), SimTime(0)), None);
        c.insert(ImageId(3), SimTime(100));
        c.insert(ImageId(200), SimTime(50)); // beyond the bitmap: always searched
        assert_eq!(c.ready_by(ImageId(3), SimTime(10)), Some(SimTime(100)));
        assert_eq!(c.ready_by(ImageId(3), SimTime(100)), Some(SimTime(100)));
        assert_eq!(c.ready_by(ImageId(3), SimTime(500)), Some(SimTime(500)));
        assert_eq!(c.ready_by(ImageId(200), SimTime(10)), Some(SimTime(50)));
        assert_eq!(c.ready_by(ImageId(200), SimTime(60)), Some(SimTime(60)));
        assert_eq!(c.ready_at(ImageId(3)), Some(SimTime(100)));
        // A new pull of the same image (not done by the model today) is honoured.
        c.insert(ImageId(3), SimTime(900));
        assert_eq!(c.ready_by(ImageId(3), SimTime(600)), Some(SimTime(900)));
        assert_eq!(c.len(), 2);
    }
}
