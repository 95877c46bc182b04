//! The Rust twin of tests/guests/relay.c: forwards every payload to $RELAY_TO and replies with
//! what that target replied. A failed forward is the handler's error.

fn handle(payload: &mut [u8], _source: &str) -> Result<(), roadrunner::Status> {
    let to = std::env::var("RELAY_TO").unwrap_or_default();
    let mut reply = [0u8; 64];
    let n = roadrunner::request(&to, payload, &mut reply)?;
    roadrunner::reply(&reply[..n])
}

roadrunner::receiver!(handle);
