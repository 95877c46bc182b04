//! Fan-in (Rust): adds up the partial sums from the workers; replies with how many arrived when
//! the source asks for its "report".

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

static TOTAL: AtomicU64 = AtomicU64::new(0);
static PARTS: AtomicU32 = AtomicU32::new(0);

fn handle(payload: &mut [u8], source: &str) -> Result<(), roadrunner::Status> {
    if payload == b"report" {
        let parts = PARTS.load(Ordering::Relaxed);
        println!(
            "sum of all parts: {} from {parts} workers",
            TOTAL.load(Ordering::Relaxed)
        );
        return roadrunner::reply(&parts.to_le_bytes());
    }
    let Ok(part) = <[u8; 8]>::try_from(&*payload) else {
        eprintln!("unexpected {} bytes from {source}", payload.len());
        return Err(roadrunner::Status::Invalid);
    };
    TOTAL.fetch_add(u64::from_le_bytes(part), Ordering::Relaxed);
    PARTS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

roadrunner::receiver!(handle);
