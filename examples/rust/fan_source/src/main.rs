//! Fan-out (Rust): sends one block of numbers (u32, little-endian) to the "worker" group, whose
//! every instance gets it, then asks "sink" how many results arrived. Usage: rust_fan_source COUNT

fn main() {
    let count: u32 = std::env::args()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000_000);
    let numbers: Vec<u8> = (0..count).flat_map(u32::to_le_bytes).collect();
    if let Err(status) = roadrunner::send("worker", &numbers) {
        eprintln!("send to worker: {status}");
        std::process::exit(1);
    }
    let mut total = [0u8; 4];
    match roadrunner::request("sink", b"report", &mut total) {
        Ok(4) => println!(
            "broadcast {count} numbers; sink heard from {} workers",
            u32::from_le_bytes(total)
        ),
        Ok(n) => {
            eprintln!("sink replied {n} bytes, not 4");
            std::process::exit(1);
        }
        Err(status) => {
            eprintln!("send to sink: {status}");
            std::process::exit(1);
        }
    }
}
