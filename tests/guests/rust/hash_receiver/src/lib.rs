//! The Rust twin of tests/guests/hash_receiver.c: replies with the FNV-1a hash of every payload,
//! then poisons the buffer. A payload starting with "TRAP" panics, which is a trap. It counts
//! each message in its own counter "messages" (roadrunner::count).

fn handle(payload: &mut [u8], _source: &str) -> Result<(), roadrunner::Status> {
    if payload.starts_with(b"TRAP") {
        panic!("asked to trap");
    }
    let h = payload.iter().fold(1469598103934665603u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    });
    // Poisoned once read: a later payload that does not fully arrive cannot hash as this one did.
    payload.fill(0xA5);
    roadrunner::count("messages", 1)?;
    roadrunner::event("hashed")?;
    roadrunner::reply(&h.to_le_bytes())
}

roadrunner::receiver!(handle);
