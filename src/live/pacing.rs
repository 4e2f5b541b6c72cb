//! The simulation's clock paced to the wall clock: `speed` simulated
//! seconds pass per real second, so the world's own traffic goes on while
//! a student types. The engine asks for "now" and runs every event up to it.

use std::time::Instant;

use crate::units::SimTime;

/// Maps wall-clock time to simulated time.
#[derive(Debug, Clone, Copy)]
pub struct Pacer {
    wall_start: Instant,
    sim_start: SimTime,
    speed: f64,
}

impl Pacer {
    /// Simulated time `sim_start` is now; `speed` simulated seconds pass per second.
    pub fn new(sim_start: SimTime, speed: f64) -> Self {
        Pacer { wall_start: Instant::now(), sim_start, speed }
    }

    /// The simulated time that corresponds to the wall clock now.
    pub fn now(&self) -> SimTime {
        self.at(self.wall_start.elapsed().as_secs_f64())
    }

    /// The simulated time `elapsed_s` real seconds after the start.
    pub fn at(&self, elapsed_s: f64) -> SimTime {
        let ms = (elapsed_s * self.speed * 1000.0).max(0.0);
        self.sim_start.saturating_add(ms as SimTime)
    }
}

#[cfg(test)]
mod tests {
    use super::Pacer;

    #[test]
    fn speed_scales_the_wall_clock() {
        let p = Pacer::new(5_000, 60.0);
        assert_eq!(p.at(0.0), 5_000);
        assert_eq!(p.at(2.5), 5_000 + 150_000);
    }
}
