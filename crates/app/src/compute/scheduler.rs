//! Latest wins: while a slider is dragged, at most one computation runs and one
//! waits, the newest. Anything older than the newest request is dropped, never queued.

/// A one-slot queue in front of one worker.
#[derive(Debug)]
pub struct LatestWins<T> {
    running: bool,
    waiting: Option<T>,
    dropped: u64,
}

impl<T> Default for LatestWins<T> {
    fn default() -> Self {
        Self {
            running: false,
            waiting: None,
            dropped: 0,
        }
    }
}

impl<T> LatestWins<T> {
    /// A request arrives. Returns it back when the worker is idle and should start
    /// it now; otherwise it waits, replacing (and dropping) whatever waited before.
    pub fn submit(&mut self, request: T) -> Option<T> {
        if self.running {
            if self.waiting.replace(request).is_some() {
                self.dropped += 1;
            }
            None
        } else {
            self.running = true;
            Some(request)
        }
    }

    /// The running computation finished. Returns the next one to start, if any.
    pub fn finish(&mut self) -> Option<T> {
        debug_assert!(self.running, "finish without a running computation");
        let next = self.waiting.take();
        self.running = next.is_some();
        next
    }

    /// Whether a computation is running.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Whether a newer request waits: the running computation's result is stale.
    pub fn is_superseded(&self) -> bool {
        self.waiting.is_some()
    }

    /// How many stale requests were dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// Newest only, for work put off to a later task: each request takes a ticket, and put-off
/// work runs only if no request came after its own (a drag's later step replaces work not
/// yet begun).
#[derive(Debug, Clone, Default)]
pub struct Newest(std::rc::Rc<std::cell::Cell<u64>>);

/// One request's place in a [`Newest`].
#[derive(Debug)]
pub struct Ticket {
    newest: std::rc::Rc<std::cell::Cell<u64>>,
    this: u64,
}

impl Newest {
    pub fn ticket(&self) -> Ticket {
        let this = self.0.get() + 1;
        self.0.set(this);
        Ticket {
            newest: self.0.clone(),
            this,
        }
    }

    /// `work` in the task after this one (after the frame this task ends in), unless a
    /// newer request came meanwhile.
    #[cfg(target_arch = "wasm32")]
    pub fn after_this_task(&self, work: impl FnOnce() + 'static) {
        self.after(std::time::Duration::ZERO, work);
    }

    /// `work` in a task `delay` from now, unless a newer request came meanwhile.
    #[cfg(target_arch = "wasm32")]
    pub fn after(&self, delay: std::time::Duration, work: impl FnOnce() + 'static) {
        let ticket = self.ticket();
        leptos::prelude::set_timeout(
            move || {
                if ticket.is_newest() {
                    work();
                }
            },
            delay,
        );
    }
}

impl Ticket {
    pub fn is_newest(&self) -> bool {
        self.newest.get() == self.this
    }
}

/// What a queue did, for the page's load tests: computations started, the most that
/// ran at once, and results not shown because a newer request had come meanwhile.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flight {
    pub running: u32,
    pub most: u32,
    pub runs: u64,
    pub stale: u64,
}

impl Flight {
    /// A computation starts.
    pub fn begin(&mut self) {
        self.running += 1;
        self.runs += 1;
        self.most = self.most.max(self.running);
    }

    /// A computation ends.
    pub fn end(&mut self) {
        self.running = self.running.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flight_counts_runs_and_the_most_at_once() {
        let mut f = Flight::default();
        f.begin();
        f.end();
        f.begin();
        f.begin();
        f.end();
        f.end();
        assert_eq!((f.running, f.most, f.runs), (0, 2, 3));
    }

    #[test]
    fn only_the_newest_ticket_is_newest() {
        let newest = Newest::default();
        let first = newest.ticket();
        assert!(first.is_newest());
        let second = newest.clone().ticket();
        assert!(!first.is_newest(), "a later request replaces it");
        assert!(second.is_newest());
    }

    #[test]
    fn idle_worker_starts_at_once() {
        let mut q = LatestWins::default();
        assert_eq!(q.submit(1), Some(1));
        assert!(q.is_running());
        assert_eq!(q.finish(), None);
        assert!(!q.is_running());
    }

    #[test]
    fn a_drag_runs_the_first_and_the_last_value_only() {
        let mut q = LatestWins::default();
        let mut ran = vec![q.submit(0).unwrap()];
        for v in 1..=10 {
            assert_eq!(q.submit(v), None, "busy: {v} must wait");
        }
        while let Some(next) = q.finish() {
            ran.push(next);
        }
        assert_eq!(ran, vec![0, 10]);
        assert_eq!(q.dropped(), 9);
    }

    #[test]
    fn a_result_is_stale_while_a_newer_request_waits() {
        let mut q = LatestWins::default();
        q.submit(1);
        assert!(
            !q.is_superseded(),
            "alone, the running result is the newest"
        );
        q.submit(2);
        assert!(q.is_superseded());
        assert_eq!(q.finish(), Some(2));
        assert!(!q.is_superseded());
    }

    #[test]
    fn requests_during_the_follow_up_are_kept() {
        let mut q = LatestWins::default();
        q.submit('a');
        q.submit('b');
        assert_eq!(q.finish(), Some('b'));
        q.submit('c');
        q.submit('d');
        assert_eq!(q.finish(), Some('d'));
        assert_eq!(q.finish(), None);
        assert_eq!(q.submit('e'), Some('e'));
    }
}
