//! Pacing of the reminder run: bank queries at most so many a second, and
//! sends that take only a share of the send rate and wait for interactive
//! replies first.

use std::time::Duration;

use tokio::{
    sync::Mutex,
    time::{Instant, MissedTickBehavior},
};

use crate::bot::inflight::InFlight;

/// One start every `1 / per_second`: in any second at most `per_second`
/// (rounded up) starts, never a burst after a pause.
pub struct Rate(tokio::time::Interval);

impl Rate {
    pub fn per_second(per_second: f64) -> Rate {
        let every = Duration::from_secs_f64(1.0 / per_second.clamp(0.001, 10_000.0));
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Rate(interval)
    }

    pub async fn wait(&mut self) {
        self.0.tick().await;
    }

    /// The time between two starts.
    pub fn every(&self) -> Duration {
        self.0.period()
    }
}

/// How long a reminder waits for the updates in progress to be answered
/// before it is sent anyway.
const YIELD_AT_MOST: Duration = Duration::from_secs(2);

/// Reminders' turn to send: after the updates being handled now (or two
/// seconds), and at most half the send rate, so replies always have the
/// other half. Shared by a run's checks.
pub struct SendTurn {
    in_flight: InFlight,
    rate: Mutex<Rate>,
}

impl SendTurn {
    pub fn new(in_flight: InFlight, send_rate: u32) -> SendTurn {
        let share = (f64::from(send_rate) / 2.0).max(1.0);
        SendTurn {
            in_flight,
            rate: Mutex::new(Rate::per_second(share)),
        }
    }

    /// The turn comes once the updates in progress now are answered (not
    /// those that start meanwhile, or under steady traffic every reminder
    /// would wait the whole limit), then at the send rate's share. Checks
    /// wait for updates side by side, not one after another: one slow
    /// update costs the run two seconds, not two seconds a reminder.
    pub async fn wait(&self) {
        let until = Instant::now() + YIELD_AT_MOST;
        let mut ahead = self.in_flight.list();
        while !ahead.is_empty() && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = self.in_flight.list();
            ahead.retain(|h| now.contains(h));
        }
        self.rate.lock().await.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_rate_spaces_its_starts() {
        let mut rate = Rate::per_second(4.0);
        let start = Instant::now();
        for _ in 0..9 {
            rate.wait().await;
        }
        // The first is at once, then one every 250 ms.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_waits_for_updates_in_progress_but_not_for_ever() {
        let in_flight = InFlight::default();
        let turn = SendTurn::new(in_flight.clone(), 30);
        turn.wait().await;
        let ticket = in_flight.enter(1, 7);
        let start = Instant::now();
        turn.wait().await;
        let waited = start.elapsed();
        assert!(
            waited >= YIELD_AT_MOST && waited < YIELD_AT_MOST + Duration::from_millis(200),
            "an update that never ends: {waited:?}"
        );
        drop(ticket);
        let start = Instant::now();
        turn.wait().await;
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn turns_wait_for_a_slow_update_side_by_side_then_at_the_rate() {
        let in_flight = InFlight::default();
        let turn = SendTurn::new(in_flight.clone(), 30);
        let _slow = in_flight.enter(1, 7);
        let start = Instant::now();
        tokio::join!(turn.wait(), turn.wait(), turn.wait(), turn.wait());
        // Two seconds for the update, then 15 a second: not 4 × 2 s.
        let waited = start.elapsed();
        let want = YIELD_AT_MOST + Duration::from_secs(3) / 15;
        assert!(
            waited >= want && waited < want + Duration::from_millis(100),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_waits_for_the_updates_of_now_not_those_that_follow() {
        // Steady traffic: each update ends as the next one starts, so one
        // is always in progress.
        let in_flight = InFlight::default();
        let turn = SendTurn::new(in_flight.clone(), 30);
        turn.wait().await;
        let first = in_flight.enter(1, 7);
        let traffic = in_flight.clone();
        let steady = tokio::spawn(async move {
            let mut current = first;
            for id in 2..1000 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let next = traffic.enter(id, 7);
                drop(std::mem::replace(&mut current, next));
            }
        });
        let start = Instant::now();
        turn.wait().await;
        let waited = start.elapsed();
        steady.abort();
        assert!(
            waited < Duration::from_millis(200),
            "waited for updates that came after: {waited:?}"
        );
    }
}
