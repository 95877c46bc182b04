//! Fan-out worker (Rust): sums its share of the numbers (instance k of n takes every n-th) and
//! sends the partial sum (u64, little-endian) to "sink". The runner tells each instance its index
//! and the group's size in RR_INSTANCE and RR_INSTANCES.

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn handle(payload: &mut [u8], _source: &str) -> Result<(), roadrunner::Status> {
    let (k, n) = (
        env_number("RR_INSTANCE", 0),
        env_number("RR_INSTANCES", 1).max(1),
    );
    let sum: u64 = payload
        .chunks_exact(4)
        .skip(k)
        .step_by(n)
        .map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .sum();
    roadrunner::send("sink", &sum.to_le_bytes())
}

roadrunner::receiver!(handle);
