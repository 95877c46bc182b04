//! A receiver of streams: keeps the FNV-1a 64 hash and the byte count of each open stream and
//! prints, at its end, `sink stream end bytes=<n> fnv=<16 hex digits>`, or at an abort
//! `sink stream abort status=<code> bytes=<n>`. With SINK_FAIL_AT=K in its environment, the
//! handler fails (returns an error) on the K-th chunk (1-based) of every stream; the stream's
//! abort then counts the bytes before that chunk. With SINK_SLOW_MS=T, the handler sleeps T ms
//! after each chunk, so a writer finds it busy.

use std::cell::RefCell;
use std::collections::HashMap;

use roadrunner::StreamEvent;

#[derive(Default)]
struct Progress {
    fnv: u64,
    bytes: u64,
    chunks: u64,
}

thread_local! {
    static STREAMS: RefCell<HashMap<u32, Progress>> = RefCell::new(HashMap::new());
}

fn fail_at() -> Option<u64> {
    std::env::var("SINK_FAIL_AT").ok()?.parse().ok()
}

fn slow() -> Option<std::time::Duration> {
    let ms = std::env::var("SINK_SLOW_MS").ok()?.parse().ok()?;
    Some(std::time::Duration::from_millis(ms))
}

fn on_stream(stream: u32, event: StreamEvent<'_>) -> Result<(), &'static str> {
    STREAMS.with_borrow_mut(|streams| {
        let p = streams.entry(stream).or_insert_with(|| Progress {
            fnv: 1469598103934665603,
            ..Progress::default()
        });
        match event {
            StreamEvent::Data(chunk) => {
                p.chunks += 1;
                if fail_at() == Some(p.chunks) {
                    return Err("asked to fail");
                }
                p.fnv = chunk.iter().fold(p.fnv, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(1099511628211)
                });
                p.bytes += chunk.len() as u64;
                // Poisoned once read: a later chunk that does not fully arrive cannot hash as
                // this one did.
                chunk.fill(0xA5);
                if let Some(pause) = slow() {
                    std::thread::sleep(pause);
                }
            }
            StreamEvent::End => {
                println!("sink stream end bytes={} fnv={:016x}", p.bytes, p.fnv);
                streams.remove(&stream);
            }
            StreamEvent::Abort(code) => {
                println!("sink stream abort status={code} bytes={}", p.bytes);
                streams.remove(&stream);
            }
        }
        Ok(())
    })
}

roadrunner::stream_receiver!(on_stream);
