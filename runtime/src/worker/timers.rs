//! The per-connection timer heap of the event worker and the drainer.
//!
//! Entries are `(when, slab key, generation)`; a connection's generation
//! changes when its slot is reused, so an entry outlives neither its
//! connection nor a newer timer of it: the owner checks each popped entry
//! against the connection (`gen` and the time it armed) and skips stale
//! ones. Stale entries are dropped lazily, so [`Timers::compact`] must run
//! once per loop turn: without it the heap grows by one entry per
//! connection (or per re-armed timer) until those entries' times come, the
//! memory growth under a high connection rate that the compaction fixed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// A min-heap of connection timers.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize, u64)>>,
}

impl Timers {
    /// Arms a timer for connection `key` of generation `gen` at `at`.
    pub fn push(&mut self, at: Instant, key: usize, gen: u64) {
        self.heap.push(Reverse((at, key, gen)));
    }

    /// The earliest armed time (possibly of a stale entry).
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Pops the earliest entry if it is due at `now`: `(at, key, gen)`.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, usize, u64)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Entries in the heap, stale ones included.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Drops the stale entries once they are at least half of the heap
    /// (`live` connections hold at most two current entries each), keeping
    /// those `current(at, key, gen)` accepts, and gives spare capacity back.
    /// Amortised O(1) per entry.
    pub fn compact(&mut self, live: usize, current: impl Fn(Instant, usize, u64) -> bool) {
        if self.heap.len() <= 2 * live + 64 {
            return;
        }
        self.heap
            .retain(|Reverse((at, key, gen))| current(*at, *key, *gen));
        let keep = 2 * self.heap.len() + 64;
        if self.heap.capacity() > 4 * keep {
            self.heap.shrink_to(keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_time_order_only_when_due() {
        let t0 = Instant::now();
        let mut t = Timers::default();
        t.push(t0 + Duration::from_secs(2), 1, 1);
        t.push(t0 + Duration::from_secs(1), 2, 1);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.pop_due(t0), None);
        let due = t0 + Duration::from_secs(5);
        assert_eq!(t.pop_due(due).map(|e| e.1), Some(2));
        assert_eq!(t.pop_due(due).map(|e| e.1), Some(1));
        assert_eq!(t.pop_due(due), None);
    }

    #[test]
    fn compaction_bounds_the_heap_by_the_live_connections() {
        let t0 = Instant::now() + Duration::from_secs(300);
        let mut t = Timers::default();
        // 10,000 connections came and went (stale), 10 are live (gen 0).
        for k in 0..10_000u64 {
            t.push(t0, k as usize, k + 1);
            t.compact(10, |_, _, gen| gen == 0);
        }
        for k in 0..10 {
            t.push(t0, k, 0);
        }
        t.compact(10, |_, _, gen| gen == 0);
        assert!(t.len() <= 2 * 10 + 64 + 1, "{} entries", t.len());
        assert!(t.heap.capacity() <= 4 * (2 * t.len() + 64) + 64);
    }
}
