//! Holding signals off while the kernel is changed: starting a heartbeat region blocks in
//! the kernel for seconds, and an interrupted start or a half-done stop leaves a region
//! without its reference (the C tools block signals for the same reason).

use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow};

/// Signals stay blocked while this lives; the previous mask comes back when it is dropped.
/// Children started meanwhile get a clean mask (`std::process::Command` resets it).
#[derive(Debug)]
pub struct SignalsBlocked {
    previous: SigSet,
}

/// Blocks every signal that can be blocked.
pub fn block_all() -> SignalsBlocked {
    let mut previous = SigSet::empty();
    // Cannot fail with a valid `how` and set.
    let _ = pthread_sigmask(
        SigmaskHow::SIG_BLOCK,
        Some(&SigSet::all()),
        Some(&mut previous),
    );
    SignalsBlocked { previous }
}

impl Drop for SignalsBlocked {
    fn drop(&mut self) {
        let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&self.previous), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::Signal;

    fn current() -> SigSet {
        let mut set = SigSet::empty();
        pthread_sigmask(SigmaskHow::SIG_BLOCK, None, Some(&mut set)).unwrap();
        set
    }

    #[test]
    fn signals_are_blocked_while_the_guard_lives() {
        assert!(!current().contains(Signal::SIGTERM));
        {
            let _held = block_all();
            assert!(current().contains(Signal::SIGTERM));
            assert!(current().contains(Signal::SIGINT));
        }
        assert!(!current().contains(Signal::SIGTERM));
    }
}
