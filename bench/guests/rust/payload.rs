//! The benchmark's payloads and their check, as bench/guests/bench_payload.h and bench_hash.h
//! define them for the C guests: the paper's recipe, the round stamped into every 4 KiB page as
//! 16 hexadecimal digits, and the hash of everything after the 16-byte header in the header. The
//! Rust and C guests exchange the same bytes, so either sender works with either receiver.

// Each guest uses only its side of the recipe.
#![allow(dead_code)]

const HEADER: usize = 16;
const PAGE: usize = 4096;

fn mix(h: u64, w: u64) -> u64 {
    let h = (h ^ w).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^ (h >> 29)
}

fn word(w: &[u8]) -> u64 {
    u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))
}

/// The hash of bench_hash.h: four lanes over 32-byte blocks of little-endian words, folded in
/// order, then the tail's words, then its bytes.
pub fn hash(p: &[u8]) -> u64 {
    let seed = 0x9E37_79B9_7F4A_7C15u64 ^ p.len() as u64;
    let mut lanes = [
        seed,
        seed.wrapping_add(1),
        seed.wrapping_add(2),
        seed.wrapping_add(3),
    ];
    let mut blocks = p.chunks_exact(32);
    for b in &mut blocks {
        for (lane, w) in lanes.iter_mut().zip(b.chunks_exact(8)) {
            *lane = mix(*lane, word(w));
        }
    }
    let mut h = mix(mix(mix(lanes[0], lanes[1]), lanes[2]), lanes[3]);
    let mut words = blocks.remainder().chunks_exact(8);
    for w in &mut words {
        h = mix(h, word(w));
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    h
}

/// Fills `p` with the paper's payload recipe: "Artifact for middleware evaluation" repeated.
pub fn fill(p: &mut [u8]) {
    const PHRASE: &[u8] = b"Artifact for middleware evaluation";
    for (b, c) in p.iter_mut().zip(PHRASE.iter().cycle()) {
        *b = *c;
    }
}

fn put_hex(p: &mut [u8], mut v: u64) {
    for i in (0..16).rev() {
        p[i] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
    }
}

fn get_hex(p: &[u8]) -> u64 {
    p[..16].iter().fold(0, |v, &c| {
        let digit = if c >= b'a' {
            c - b'a' + 10
        } else {
            c.wrapping_sub(b'0')
        };
        (v << 4) | u64::from(digit & 15)
    })
}

/// Stamps round `round` into every page and seals the payload; returns the seal. Payloads under
/// 32 bytes carry no header and are not checked (seal 0).
pub fn stamp(p: &mut [u8], round: u32) -> u64 {
    let n = p.len();
    if n < 2 * HEADER {
        return 0;
    }
    let mut off = HEADER;
    while off + HEADER <= n {
        put_hex(
            &mut p[off..],
            (u64::from(round) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ off as u64,
        );
        off += PAGE;
    }
    let h = hash(&p[HEADER..]);
    put_hex(p, h);
    h
}

/// Whether a sealed payload arrived whole, and its seal; then poisons the header, so the next
/// round must overwrite it to pass.
pub fn check_and_poison(p: &mut [u8]) -> (bool, u64) {
    if p.len() < 2 * HEADER {
        return (true, 0);
    }
    let seal = get_hex(p);
    let whole = seal == hash(&p[HEADER..]);
    p[..HEADER].fill(0xA5);
    (whole, seal)
}

/// Writes every byte in place (ASCII case flip), as bench_write_in_place does.
pub fn write_in_place(p: &mut [u8]) {
    for b in p {
        *b ^= 0x20;
    }
}
