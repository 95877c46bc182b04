//! Benchmark receiver in Rust, bench_receiver.c's twin: checks that each payload arrived whole,
//! poisons its header and replies with its seal. Its environment chooses the workload, as the C
//! receiver's does: BENCH_NO_REPLY (fan-out) only checks; BENCH_IN_PLACE also writes every byte
//! in place; BENCH_NO_CHECK (the soak) only accepts.

#[path = "../../payload.rs"]
mod payload;

use std::sync::OnceLock;

struct Flags {
    no_check: bool,
    no_reply: bool,
    in_place: bool,
}

fn flags() -> &'static Flags {
    static FLAGS: OnceLock<Flags> = OnceLock::new();
    FLAGS.get_or_init(|| Flags {
        no_check: std::env::var_os("BENCH_NO_CHECK").is_some(),
        no_reply: std::env::var_os("BENCH_NO_REPLY").is_some(),
        in_place: std::env::var_os("BENCH_IN_PLACE").is_some(),
    })
}

fn handle(bytes: &mut [u8], _source: &str) -> Result<(), roadrunner::Status> {
    let f = flags();
    if f.no_check {
        return Ok(());
    }
    let (whole, seal) = payload::check_and_poison(bytes);
    if !whole {
        return Err(roadrunner::Status::Invalid);
    }
    if f.in_place {
        payload::write_in_place(bytes);
    }
    if f.no_reply {
        return Ok(());
    }
    roadrunner::reply(&seal.to_le_bytes())
}

roadrunner::receiver!(handle);
