//! Provokes ABI statuses through the Rust SDK and checks each. Usage:
//!   rust_status_probe CASE=STATUS...
//! CASE is one of
//!   send:TARGET:TEXT     send TEXT (an attack_receiver attack name, "TRAP", ...) to TARGET
//!   size:TARGET:N        send N bytes to TARGET
//!   member:GROUP:K:N     send N bytes to member K of the fan-out group GROUP
//!   reply:TARGET:WANT:CAP  ask a big_reply_receiver for WANT reply bytes into a CAP-byte buffer;
//!                        the reported length must be WANT, and a reply that fit must be right
//!   fault                the raw import with a payload past the end of memory
//!   reply-outside        reply() outside a handler
//! STATUS is the rr_status_t number the call must return (0: ok).
//! Prints one line per case; exits with the 1-based index of the first mismatch, or 0.

use roadrunner::Status;

fn code(r: Result<(), Status>) -> u32 {
    r.err().map_or(0, Status::raw)
}

fn run(case: &str) -> u32 {
    let parts: Vec<&str> = case.split(':').collect();
    match parts.as_slice() {
        ["send", target, text] => code(roadrunner::send(target, text.as_bytes())),
        ["size", target, n] => code(roadrunner::send(target, &vec![7u8; n.parse().unwrap_or(0)])),
        ["member", group, k, n] => code(roadrunner::send_to_member(
            group,
            k.parse().unwrap_or(0),
            &vec![1u8; n.parse().unwrap_or(0)],
        )),
        ["reply", target, want, cap] => {
            let want: u32 = want.parse().unwrap_or(0);
            let mut reply = vec![0u8; cap.parse().unwrap_or(0)];
            let (r, full) = roadrunner::send_with_reply(target, &want.to_le_bytes(), &mut reply);
            let fit = r.is_ok()
                && reply[..full]
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b == (i as u8).wrapping_mul(7).wrapping_add(1));
            if full != want as usize || (r.is_ok() && !fit) {
                println!("reply length {full} (want {want}), bytes right: {fit}");
                return u32::MAX;
            }
            code(r)
        }
        // SAFETY: the payload's address is past the end of this module's memory on purpose; the
        // host checks it before it reads anything and returns RR_EFAULT.
        ["fault"] => unsafe { roadrunner::raw::send(0, 0, 0xFFFF_FF00, 4096, 0, 0, 0) },
        ["reply-outside"] => code(roadrunner::reply(b"nobody asked")),
        _ => u32::MAX,
    }
}

fn main() {
    for (i, arg) in std::env::args().skip(1).enumerate() {
        let (case, want) = arg.rsplit_once('=').unwrap_or((arg.as_str(), "?"));
        let got = run(case);
        let name = if got == 0 {
            "ok"
        } else {
            Status::from_raw(got).name()
        };
        let verdict = if want.parse() == Ok(got) {
            ""
        } else {
            "  UNEXPECTED"
        };
        println!("{case}: {got} {name} (want {want}){verdict}");
        if !verdict.is_empty() {
            std::process::exit(i as i32 + 1);
        }
    }
}
