//! Sends numbered payloads with `send_async`: `rust_async_sender TARGET N SIZE [HOW]` sends N
//! payloads of SIZE (at least 8) bytes to TARGET, payload i being i (8 bytes, little-endian) and
//! then stream_pattern.h's bytes for seed i (tests/guests/pattern_receiver.c's recipe), in rounds
//! of `abi::MAX_IN_FLIGHT` (8) from 8 buffers that each round refills. HOW:
//!   wait (the default)  waits for each round's sends, oldest first, before the next round
//!   limits              the same, and with 8 pending, checks that a ninth start is
//!                       `Err(Status::NoMemory)` (and sends nothing)
//!   drop                drops each round's `PendingSend`s unwaited: their `Drop` must wait, or
//!                       the next round's starts find no room
//! Prints `async status=<status name> sends=<sends done> bytes=<bytes sent>`; exits 0 when every
//! status is `Ok`, 1 otherwise, 4 when the limit did not hold, 64 for bad arguments.

use roadrunner::{abi, send_async, PendingSend, Status};

/// stream_pattern.h's `stream_byte`.
fn stream_byte(seed: u32, offset: u64) -> u8 {
    ((offset + u64::from(seed)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

fn fill(buf: &mut [u8], index: u64) {
    buf[..8].copy_from_slice(&index.to_le_bytes());
    for (j, b) in buf.iter_mut().enumerate().skip(8) {
        *b = stream_byte(index as u32, j as u64);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        std::process::exit(64);
    }
    let parse = |s: &str| {
        s.parse::<usize>()
            .unwrap_or_else(|_| std::process::exit(64))
    };
    let (target, count, size) = (&args[1], parse(&args[2]), parse(&args[3]));
    let how = args.get(4).map_or("wait", String::as_str);
    if size < 8 || !matches!(how, "wait" | "limits" | "drop") {
        std::process::exit(64);
    }
    let in_flight = abi::MAX_IN_FLIGHT as usize;
    let mut bufs = vec![vec![0u8; size]; in_flight];
    let mut sends = 0usize;
    let mut limit_held = true;
    let result = (0..count).step_by(in_flight).try_for_each(|first| {
        let round = in_flight.min(count - first);
        for (k, buf) in bufs.iter_mut().take(round).enumerate() {
            fill(buf, (first + k) as u64);
        }
        // Each PendingSend borrows its buffer: the refill above cannot run until they are gone.
        let mut pending: Vec<PendingSend<'_>> = Vec::with_capacity(round);
        for buf in &bufs[..round] {
            pending.push(send_async(target, buf)?);
        }
        if how == "limits" && pending.len() == in_flight {
            let mut extra = vec![0u8; size];
            fill(&mut extra, (count + 1000) as u64); // an index the receiver must never see
            limit_held &= matches!(send_async(target, &extra), Err(Status::NoMemory));
        }
        if how == "drop" {
            sends += round;
            drop(pending); // each Drop waits; the statuses go with them
            return Ok(());
        }
        for sent in pending {
            sent.wait()?;
            sends += 1;
        }
        Ok(())
    });
    let name = match result {
        Ok(()) => "ok",
        Err(status) => Status::name(status),
    };
    println!("async status={name} sends={sends} bytes={}", sends * size);
    if !limit_held {
        println!("limits not held");
        std::process::exit(4);
    }
    std::process::exit(if result.is_ok() { 0 } else { 1 });
}
