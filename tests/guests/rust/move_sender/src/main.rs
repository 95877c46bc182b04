//! The Rust twin of tests/guests/cpp_move_sender.cc: `rust_move_sender TARGET SIZE SEED ROUNDS`
//! fills one `PageBuf` with SIZE bytes from SEED, hands it to a keeper_receiver with `send_move`,
//! takes it back, and checks that the reply is the FNV-1a hash of what was sent and that the
//! buffer reads as zeros; ROUNDS times, with new bytes each round.
//! Exit status: 0, the status, 101 for a wrong hash, 102 for bytes left in the buffer, 104 for a
//! large buffer not aligned to a huge page, 64 for bad arguments, 65 when memory ran out.

use roadrunner::abi::HUGE_PAGE_SIZE;
use roadrunner::PageBuf;

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(1469598103934665603u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    })
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
    let mut x: u64 = arg::<u64>(&args, 3) | 1;
    let rounds: u32 = arg(&args, 4);
    let mut buf = PageBuf::zeroed(size).unwrap_or_else(|| std::process::exit(65));
    if size >= HUGE_PAGE_SIZE as usize && buf.as_ptr() as usize % HUGE_PAGE_SIZE as usize != 0 {
        std::process::exit(104);
    }
    for _ in 0..rounds {
        for b in buf.iter_mut() {
            // xorshift: every byte depends on the seed and the round
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let want = fnv1a(&buf);
        let mut reply = [0u8; 8];
        let moved = roadrunner::send_move(&target, buf, &mut reply);
        buf = moved.buffer;
        match moved.result {
            Ok(8) if u64::from_le_bytes(reply) == want => {}
            Ok(_) => std::process::exit(101),
            Err(status) => {
                eprintln!("send_move: {status}");
                std::process::exit(status.raw() as i32);
            }
        }
        if buf.iter().any(|&b| b != 0) {
            std::process::exit(102);
        }
    }
    println!("moved {size} x {rounds}");
}
