//! Text pipeline, producer (Rust): reads a file through WASI and sends its bytes to "counter",
//! which replies with the word count. Usage: rust_text_producer FILE

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: rust_text_producer FILE");
        std::process::exit(2);
    };
    let text = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    });
    let mut reply = [0u8; 64];
    match roadrunner::request("counter", &text, &mut reply) {
        Ok(n) => {
            let words = String::from_utf8_lossy(&reply[..n]);
            println!(
                "sent {} bytes of {path}; counter says: {words} words",
                text.len()
            );
        }
        Err(status) => {
            eprintln!("send to counter: {status}");
            std::process::exit(1);
        }
    }
}
