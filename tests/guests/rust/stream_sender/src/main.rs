//! Streams patterned chunks to a target: `rust_stream_sender TARGET N SIZE [HOW]` opens a stream
//! to TARGET and writes N chunks of SIZE bytes, byte j of chunk i being (i*131 + j*7) & 0xff, then
//! ends it as HOW says:
//!   end (the default)  close it (the status is the stream's result)
//!   abort:CODE         abort it with CODE (the status is the abort's)
//!   drop               drop it unclosed, which the SDK turns into an abort with RR_EUNAVAILABLE
//!   leak               leave it open and exit, so the host aborts it when the instance ends
//!   move               write each chunk from a PageBuf with write_move, check that the buffer
//!                      reads as zeros afterwards (exit 9 if not), then close it
//!   try                write each chunk with try_write; at each `WouldBlock`, do about 100 µs of
//!                      other work and write the same chunk again; then close it. Prints
//!                      `stream would_blocks=<count>` first
//! Prints `stream status=<status name> chunks=<chunks written> bytes=<bytes written>`; exits 0 when
//! the status is RR_OK, 1 otherwise, 64 for bad arguments. A failed write stops the writing and
//! drops the stream.

use std::hint::black_box;
use std::time::{Duration, Instant};

use roadrunner::{PageBuf, Status, Stream};

/// The work a sender does instead of waiting for a busy receiver: about 100 µs of arithmetic.
fn other_work(state: &mut u64) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_micros(100) {
        for _ in 0..256 {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
        }
        black_box(*state);
    }
}

fn chunk(i: usize, size: usize) -> Vec<u8> {
    (0..size)
        .map(|j| ((i * 131 + j * 7) & 0xff) as u8)
        .collect()
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
    let how = args.get(4).map_or("end", String::as_str);
    if !matches!(how, "end" | "drop" | "leak" | "move" | "try") && !how.starts_with("abort:") {
        std::process::exit(64);
    }
    let (mut chunks, mut bytes, mut would_blocks) = (0usize, 0usize, 0usize);
    let mut work = 0x9E37_79B9_7F4A_7C15u64;
    let mut moving = PageBuf::zeroed(size.max(1)).unwrap_or_else(|| std::process::exit(65));
    let result = Stream::open(target).and_then(|mut stream| {
        for i in 0..count {
            if how == "move" {
                moving[..size].copy_from_slice(&chunk(i, size));
                stream.write_move(&mut moving, size)?;
                if moving.iter().any(|&b| b != 0) {
                    println!("chunk {i} still in the sender's buffer after write_move");
                    std::process::exit(9);
                }
            } else if how == "try" {
                let data = chunk(i, size);
                loop {
                    match stream.try_write(&data) {
                        Err(Status::WouldBlock) => {
                            would_blocks += 1;
                            other_work(&mut work);
                        }
                        result => break result,
                    }
                }?;
            } else {
                stream.write(&chunk(i, size))?;
            }
            chunks += 1;
            bytes += size;
        }
        match (how, how.split_once(':')) {
            (_, Some(("abort", code))) => stream.abort(code.parse().unwrap_or(1)),
            ("drop", _) => {
                drop(stream);
                Ok(())
            }
            ("leak", _) => {
                std::mem::forget(stream);
                Ok(())
            }
            _ => stream.close(),
        }
    });
    if how == "try" {
        println!("stream would_blocks={would_blocks}");
    }
    let name = match result {
        Ok(()) => "ok",
        Err(status) => Status::name(status),
    };
    println!("stream status={name} chunks={chunks} bytes={bytes}");
    std::process::exit(if result.is_ok() { 0 } else { 1 });
}
