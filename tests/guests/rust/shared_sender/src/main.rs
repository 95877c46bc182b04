//! The Rust twin of tests/guests/shared_sender.c: `rust_shared_sender TARGET SIZE SEED ROUNDS`
//! fills one `SharedBuf` with SIZE bytes from SEED and the round (tests/guests/shared_pattern.h's
//! recipe, which shared_receiver checks) and sends it to TARGET, a group of shared_receivers;
//! after each send its own bytes must be unchanged (the receivers write theirs), and after it
//! overwrites them, each receiver's "CHECK" must find its kept buffer untouched by them.
//! Exit status: 0, the status, 101 when a receiver's write reached the sender, 64 for bad
//! arguments, 65 when the host shared no pages.

use roadrunner::SharedBuf;

fn pattern_byte(seed: u64, round: u32, i: u32) -> u8 {
    let x = (seed ^ (u64::from(round) << 32 | u64::from(i))).wrapping_mul(0x9E3779B97F4A7C15);
    (x >> 56) as u8
}

fn fill(buf: &mut [u8], seed: u64, round: u32) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = pattern_byte(seed, round, i as u32);
    }
    if buf.len() >= 16 {
        buf[..8].copy_from_slice(&seed.to_le_bytes());
        buf[8..16].copy_from_slice(&u64::from(round).to_le_bytes());
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize) -> T {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| std::process::exit(64))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| std::process::exit(64));
    let size: usize = arg(&args, 2);
    let seed: u64 = arg(&args, 3);
    let rounds: u32 = arg(&args, 4);
    let mut buf = SharedBuf::zeroed(size).unwrap_or_else(|| std::process::exit(65));
    let mut want = vec![0u8; size];
    for round in 0..rounds {
        fill(&mut buf, seed, round);
        fill(&mut want, seed, round);
        if let Err(status) = roadrunner::send(&target, &buf) {
            std::process::exit(status.raw() as i32);
        }
        if buf[..] != want[..] {
            std::process::exit(101);
        }
        buf.fill(0xEE);
        if let Err(status) = roadrunner::send(&target, b"CHECK") {
            std::process::exit(status.raw() as i32);
        }
    }
    println!("shared {size}");
}
