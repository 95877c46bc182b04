//! Text pipeline, consumer (Rust): counts the words in what it receives, in place, and replies
//! with the count.

fn handle(payload: &mut [u8], source: &str) -> Result<(), roadrunner::Status> {
    let words = payload
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .count();
    eprintln!(
        "counted {words} words in {} bytes from {source}",
        payload.len()
    );
    roadrunner::reply(words.to_string().as_bytes())
}

roadrunner::receiver!(handle);
