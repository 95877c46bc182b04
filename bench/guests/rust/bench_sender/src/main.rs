//! Benchmark sender in Rust, bench_sender.c's twin: sends SIZE bytes of the paper's payload to
//! TARGET RUNS times, each round stamped and sealed before the send call; each reply must be that
//! round's seal. Exit 0 only if every one matched. Usage: rust_bench_sender TARGET SIZE RUNS

#[path = "../../payload.rs"]
mod payload;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        std::process::exit(64);
    }
    let (target, size, runs): (&str, usize, u32) = match (args[2].parse(), args[3].parse()) {
        (Ok(size), Ok(runs)) => (&args[1], size, runs),
        _ => std::process::exit(64),
    };
    let Some(mut buf) = roadrunner::PageBuf::zeroed(size) else {
        eprintln!("cannot allocate {size} bytes");
        std::process::exit(65);
    };
    payload::fill(&mut buf);
    for round in 0..runs {
        let want = payload::stamp(&mut buf, round);
        let mut got = [0u8; 8];
        match roadrunner::request(target, &buf, &mut got) {
            Ok(8) if u64::from_le_bytes(got) == want => {}
            Ok(_) => {
                eprintln!("send {round}: the receiver did not get this round's bytes");
                std::process::exit(100);
            }
            Err(status) => {
                eprintln!("send {round}: {status}");
                std::process::exit(status.raw() as i32);
            }
        }
    }
}
