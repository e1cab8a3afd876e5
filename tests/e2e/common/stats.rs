//! Figures the load tests and benchmarks print.

use std::time::Duration;

/// p50, p95, p99 and the longest of sorted `samples`.
pub fn percentiles(samples: &[Duration]) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    let at = |p: f64| {
        let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples)",
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0),
        samples.len()
    )
}
