// A command: sends each of its arguments to the function "shout" and prints the reply.
fn main() {
    for word in std::env::args().skip(1) {
        let mut reply = [0u8; 256];
        match roadrunner::request("shout", word.as_bytes(), &mut reply) {
            Ok(n) => println!("{word} -> {}", String::from_utf8_lossy(&reply[..n])),
            Err(status) => {
                println!("shout failed: {status}");
                std::process::exit(1);
            }
        }
    }
}
