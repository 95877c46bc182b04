//! The Rust twin of tests/guests/sender.c: `rust_sender TARGET SIZE [COUNT]` sends SIZE patterned
//! bytes COUNT times; each reply must be the FNV-1a hash of that round's payload.
//! Exit status: the last status (0 ok), 100 if a reply hash did not match, 64 for bad arguments.

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(1469598103934665603u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        std::process::exit(64);
    }
    let target = &args[1];
    let size: usize = args[2].parse().unwrap_or_else(|_| std::process::exit(64));
    let count: u32 = args.get(3).map_or(1, |c| c.parse().unwrap_or(1));
    let mut buf: Vec<u8> = (0..size).map(|i| (i * 7 + (i >> 12)) as u8).collect();
    let mut last = 0u32;
    for round in 0..count {
        // Every round sends different bytes, so a receiver left with an earlier round's payload
        // cannot answer with the right hash.
        for at in (0..size).step_by(4096) {
            buf[at] = (round as usize * 13 + 1 + (at >> 12)) as u8;
        }
        let want = fnv1a(&buf);
        let mut reply = [0u8; 8];
        match roadrunner::request(target, &buf, &mut reply) {
            Ok(8) if u64::from_le_bytes(reply) == want => {}
            Ok(_) => {
                println!("reply hash mismatch");
                std::process::exit(100);
            }
            Err(status) => {
                last = status.raw();
                break;
            }
        }
    }
    println!("status {last}");
    std::process::exit(last as i32);
}
